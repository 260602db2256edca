"""Review queue pages: who may see them, side by side, decisions, errors, audit."""

from __future__ import annotations

import pytest

from tests import factories as f
from wraparound.audit.models import AuditEvent
from wraparound.linkage.models import LinkStatus, ReviewDecision, ReviewPair, SourceRecord

pytestmark = pytest.mark.django_db


def test_overview_and_queue_for_a_reviewer(personas, grey_pair) -> None:  # type: ignore[no-untyped-def]
    client = personas.client(personas.keyworker)
    page = client.get("/linkage/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Master client index" in text and "1 pair to review" in text
    assert "default parameters" in text
    queue = client.get("/linkage/review/")
    assert queue.status_code == 200
    body = queue.content.decode()
    pair = ReviewPair.objects.get()
    assert "Katy Morgan" in body and grey_pair.reference in body
    assert f"/linkage/review/{pair.pk}/" in body
    assert AuditEvent.objects.filter(action="linkage.review_list", person_id=grey_pair.pk).exists()


def test_pair_page_side_by_side(personas, grey_pair) -> None:  # type: ignore[no-untyped-def]
    pair = ReviewPair.objects.get()
    response = personas.client(personas.keyworker).get(f"/linkage/review/{pair.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Are these the same person?" in body
    assert "Date of birth" in body and "one digit different" in body
    assert "govuk-tag--red" in body  # the postcode differs
    assert 'name="label"' in body and 'name="reason"' in body
    assert AuditEvent.objects.filter(action="linkage.review_view", person_id=grey_pair.pk).exists()


def test_decision_posted_links_the_record(personas, grey_pair) -> None:  # type: ignore[no-untyped-def]
    pair = ReviewPair.objects.get()
    client = personas.client(personas.keyworker)
    response = client.post(
        f"/linkage/review/{pair.pk}/", {"label": "match", "reason": "Same GP letter"}
    )
    assert response.status_code == 302 and response["Location"] == "/linkage/review/"
    record = SourceRecord.objects.get(local_id="G1")
    assert record.person == grey_pair and record.link_status == LinkStatus.LINKED
    page = client.get(f"/linkage/review/{pair.pk}/").content.decode()
    assert "This pair is closed" in page and "Same GP letter" in page
    overview = client.get("/linkage/").content.decode()
    assert "1 labelled pairs" in overview


def test_decision_errors_in_summary(personas, grey_pair) -> None:  # type: ignore[no-untyped-def]
    pair = ReviewPair.objects.get()
    response = personas.client(personas.keyworker).post(f"/linkage/review/{pair.pk}/", {})
    assert response.status_code == 200
    body = response.content.decode()
    assert "govuk-error-summary" in body
    assert "Choose whether these are the same person" in body
    assert "Give a reason for the decision" in body
    assert ReviewDecision.objects.count() == 0


@pytest.mark.parametrize("who", ["partner", "outsider", "netadmin", "privacy"])
def test_only_lead_organisation_reviewers(personas, grey_pair, who) -> None:  # type: ignore[no-untyped-def]
    pair = ReviewPair.objects.get()
    client = personas.client(getattr(personas, who))
    assert client.get("/linkage/review/").status_code == 403
    assert client.get(f"/linkage/review/{pair.pk}/").status_code == 403
    assert (
        client.post(f"/linkage/review/{pair.pk}/", {"label": "match", "reason": "x"}).status_code
        == 403
    )
    assert ReviewDecision.objects.count() == 0


def test_pair_of_another_network_is_not_found(personas, grey_pair) -> None:  # type: ignore[no-untyped-def]
    other = f.OrganisationFactory(is_lead=True)
    user = f.UserFactory(username="elsewhere")
    f.MembershipFactory(user=user, organisation=other, role="manager")
    pair = ReviewPair.objects.get()
    client = personas.client(user)
    assert client.get(f"/linkage/review/{pair.pk}/").status_code == 404
    assert "Katy" not in client.get("/linkage/review/").content.decode()


def test_anonymous_redirected(client, grey_pair) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/linkage/review/").status_code == 302
