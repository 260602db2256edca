"""The register-a-person page's "these might be the same person" step, and the merge pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests import factories as f
from tests.people.matching_factories import indexed_person
from tests.people.test_views import person_form
from wraparound.people.models import MergeStatus, Person, PersonMerge

pytestmark = pytest.mark.django_db


@pytest.fixture
def existing(personas):
    return indexed_person(
        personas.network,
        given_name="Sian",
        family_name="Evans",
        date_of_birth=dt.date(1985, 3, 27),
        postcode="CF37 1AA",
        registered_by=personas.one_stop,
    )


def test_registering_someone_like_an_existing_person_shows_them_first(keyworker_client, existing):
    response = keyworker_client.post("/people/new", person_form())
    page = response.content.decode()
    assert response.status_code == 200
    assert Person.objects.count() == 1
    assert "This person might already be registered" in page
    assert f'href="/people/{existing.pk}/"' in page
    assert existing.reference in page
    assert "Given name exact, family name exact, date of birth exact" in page
    # What was typed is kept, and the worker can go ahead.
    assert 'value="029 2018 0123"' in page
    assert 'name="confirm_new" value="yes"' in page

    response = keyworker_client.post("/people/new", person_form(confirm_new="yes"))
    assert response.status_code == 302
    assert Person.objects.count() == 2


def test_a_candidate_held_by_another_agency_is_not_linked(personas, keyworker_client):
    theirs = indexed_person(
        personas.network,
        given_name="Sian",
        family_name="Evans",
        date_of_birth=dt.date(1985, 3, 27),
        postcode="CF10 3NQ",
        registered_by=personas.outsider_org,
    )
    page = keyworker_client.post("/people/new", person_form()).content.decode()
    assert theirs.reference in page
    assert f'href="/people/{theirs.pk}/"' not in page
    assert personas.outsider_org.name in page
    assert "27 Mar 1985" not in page and "1985" in page
    assert "CF10 3NQ" not in page and "CF10" in page


def test_no_candidates_registers_straight_away(keyworker_client):
    response = keyworker_client.post("/people/new", person_form())
    assert response.status_code == 302


@pytest.fixture
def two(personas):
    keep = indexed_person(
        personas.network, given_name="Rhys", family_name="Morgan", registered_by=personas.one_stop
    )
    other = indexed_person(
        personas.network, given_name="Rees", family_name="Morgan", registered_by=personas.one_stop
    )
    return keep, other


def test_merge_page_checks_then_merges(personas, two):
    keep, other = two
    client = personas.client(personas.manager)
    url = f"/people/{keep.pk}/merge"
    assert client.get(url).status_code == 200
    data = {"other": other.reference, "keep": "this", "reason": "Same NHS number"}
    check = client.post(url, data).content.decode()
    assert "Check the merge" in check
    assert other.reference in check and 'name="confirm" value="yes"' in check
    assert not PersonMerge.objects.exists()
    response = client.post(url, data | {"confirm": "yes"})
    assert response.status_code == 302
    assert response["Location"] == f"/people/{keep.pk}/"
    other.refresh_from_db()
    assert other.merged_into == keep
    page = client.get(f"/people/{other.pk}/").content.decode()
    assert "This record was merged into" in page


def test_merge_page_errors(personas, two):
    keep, _ = two
    client = personas.client(personas.manager)
    url = f"/people/{keep.pk}/merge"
    page = client.post(url, {"other": "nonsense", "keep": "this", "reason": ""}).content.decode()
    assert "Error: Merge records" in page
    assert "Enter a record number, like P-000123" in page
    assert "Enter why these records are the same person" in page
    page = client.post(
        url, {"other": keep.reference, "keep": "this", "reason": "x", "confirm": "yes"}
    ).content.decode()
    assert "A record cannot be merged into itself" in page
    page = client.post(url, {"other": "P-999999", "keep": "this", "reason": "x"}).content.decode()
    assert "No person with record number P-999999" in page


def test_only_managers_and_privacy_officers_see_the_merge_page(personas, two, keyworker_client):
    keep, _ = two
    assert keyworker_client.get(f"/people/{keep.pk}/merge").status_code == 403
    assert (
        "Merge with another record"
        not in keyworker_client.get(f"/people/{keep.pk}/").content.decode()
    )
    manager = personas.client(personas.manager)
    assert "Merge with another record" in manager.get(f"/people/{keep.pk}/").content.decode()


def test_unmerge_from_the_history(personas, two):
    keep, other = two
    client = personas.client(personas.privacy)
    client.post(
        f"/people/{keep.pk}/merge",
        {"other": other.reference, "keep": "other", "reason": "Same", "confirm": "yes"},
    )
    merge = PersonMerge.objects.get()
    assert merge.survivor == other
    history = client.get(f"/people/{other.pk}/merges").content.decode()
    assert f"{keep.reference} merged into {other.reference}" in history
    page = client.post(
        f"/people/merges/{merge.pk}/unmerge", {f"merge-{merge.pk}-reason": ""}
    ).content.decode()
    assert "Enter why the merge is being undone" in page
    response = client.post(
        f"/people/merges/{merge.pk}/unmerge", {f"merge-{merge.pk}-reason": "Twins"}
    )
    assert response.status_code == 302
    merge.refresh_from_db()
    assert merge.status == MergeStatus.UNDONE
    assert "Twins" in client.get(f"/people/{other.pk}/merges").content.decode()


def test_unmerge_of_a_merge_one_cannot_see_is_404(personas, two):
    keep, other = two
    client = personas.client(personas.manager)
    client.post(
        f"/people/{keep.pk}/merge",
        {"other": other.reference, "keep": "this", "reason": "Same", "confirm": "yes"},
    )
    merge = PersonMerge.objects.get()
    # A manager of another network's lead organisation: the merge is not theirs to see.
    someone = f.UserFactory()
    f.MembershipFactory(
        user=someone, organisation=f.OrganisationFactory(is_lead=True), role="manager"
    )
    response = personas.client(someone).post(
        f"/people/merges/{merge.pk}/unmerge", {f"merge-{merge.pk}-reason": "x"}
    )
    assert response.status_code == 404
    merge.refresh_from_db()
    assert merge.status == MergeStatus.MERGED


def test_each_unmerge_form_on_the_history_has_its_own_field_ids(personas, two):
    keep, other = two
    third = indexed_person(
        personas.network, given_name="Rhi", family_name="Morgan", registered_by=personas.one_stop
    )
    client = personas.client(personas.privacy)
    for merged in (other, third):
        client.post(
            f"/people/{keep.pk}/merge",
            {"other": merged.reference, "keep": "this", "reason": "Same", "confirm": "yes"},
        )
    merges = list(PersonMerge.objects.order_by("pk"))
    assert len(merges) == 2
    history = client.get(f"/people/{keep.pk}/merges").content.decode()
    ids = re.findall(r'id="([^"]+)"', history)
    assert len(ids) == len(set(ids))
    assert all(f"merge-{m.pk}-reason" in " ".join(ids) for m in merges)
