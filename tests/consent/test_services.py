"""The trust layer's writes (and the selectors beside them): each rule, and nothing written
when a rule refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests import factories as f
from tests.consent import DAY, make_break_glass, make_consent, make_legal_basis
from wraparound.accounts.actor import Actor, actor_for_user
from wraparound.accounts.models import Role
from wraparound.audit.models import AuditEvent, AuditKind
from wraparound.consent.categories import DataCategory
from wraparound.consent.models import (
    BreakGlass,
    Consent,
    ConsentCategory,
    ConsentWithdrawal,
    LegalBasis,
    Purpose,
    RecipientKind,
    Review,
)
from wraparound.consent.policy import decide
from wraparound.consent.selectors import (
    access_log,
    break_glass_queue,
    consent_get,
    consents_for_person,
    person_for_break_glass,
)
from wraparound.consent.services import (
    LEGAL_BASIS_MAX_DAYS,
    break_glass_review,
    break_glass_start,
    consent_record,
    consent_withdraw,
    legal_basis_end,
    legal_basis_record,
)
from wraparound.directory.models import Sector
from wraparound.people.selectors import PersonNotFound

pytestmark = pytest.mark.django_db

JUSTIFICATION = "Police report an immediate risk to her life tonight"


@pytest.fixture
def person(personas):
    person = f.PersonFactory(network=personas.network)
    f.CaseFactory(person=person, lead_organisation=personas.one_stop, key_worker=personas.keyworker)
    return person


def actor(user) -> Actor:
    return actor_for_user(user, via="web")


def counts() -> tuple[int, ...]:
    return (
        Consent.objects.count(),
        ConsentCategory.objects.count(),
        ConsentWithdrawal.objects.count(),
        LegalBasis.objects.count(),
        BreakGlass.objects.count(),
        AuditEvent.objects.filter(kind=AuditKind.WRITE).count(),
    )


@pytest.fixture
def nothing_written(db):
    before = counts()
    yield
    assert counts() == before


def message_of(error: ValidationError) -> dict[str, list[str]]:
    return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}


# --- consent_record ------------------------------------------------------------------------


def record(personas, person, **overrides):
    values = {
        "actor": actor(personas.keyworker),
        "person": person,
        "recipient_kind": RecipientKind.ORGANISATION,
        "recipient_organisation": personas.partner_org,
        "purpose": Purpose.CARE_COORDINATION,
        "categories": ["identity", "health"],
        "evidence": "verbal",
    }
    return consent_record(**(values | overrides))


def test_record_a_consent(personas, person):
    until = timezone.now() + 30 * DAY

    consent = record(
        personas,
        person,
        categories=["health", "identity", "health"],
        valid_until=until,
        evidence_note="  Witnessed  ",
    )

    assert consent.category_codes == ["health", "identity"]
    assert (consent.recorded_by, consent.recorded_by_organisation) == (
        personas.keyworker,
        personas.one_stop,
    )
    assert (consent.valid_until, consent.evidence_note, consent.status()) == (
        until,
        "Witnessed",
        "active",
    )
    event = AuditEvent.objects.get(action="consent.record")
    assert (event.kind, event.person_id, event.object_id) == ("write", person.pk, str(consent.pk))
    assert event.categories == ["health", "identity"]
    assert event.summary.startswith(
        "Consent recorded: health, identity and contact may be shared with "
        "Taff Housing Association for coordinating care and support until "
    )
    assert decide(actor=actor(personas.partner), person=person, category=DataCategory.HEALTH)


def test_a_sector_consent_drops_a_stray_organisation(personas, person):
    consent = record(
        personas,
        person,
        recipient_kind=RecipientKind.SECTOR,
        recipient_sector=Sector.HOUSING,
        categories=["household"],
    )
    assert (consent.recipient_organisation, consent.recipient_sector) == (None, "housing")
    assert consent.recipient_label == "every housing organisation"


def test_a_consent_may_start_in_the_past_and_end_later(personas, person):
    consent = record(
        personas, person, valid_from=timezone.now() - 10 * DAY, valid_until=timezone.now() - DAY
    )
    assert consent.status() == "expired"


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        (
            {"valid_from": timezone.now() + 2 * DAY, "valid_until": timezone.now() + DAY},
            {"valid_until": ["The end must be after the start"]},
        ),
        (
            {"valid_until": timezone.now() - DAY},
            {"valid_until": ["The end must be after the start"]},
        ),
        ({"categories": ["health", "astrology"]}, {"categories": ["Unknown category: astrology"]}),
        ({"categories": []}, {"categories": ["Choose at least one kind of information"]}),
        (
            {"recipient_organisation": None},
            {"recipient_organisation": ["Choose the organisation"]},
        ),
        (
            {"recipient_kind": RecipientKind.SECTOR, "recipient_sector": "astrology"},
            {"recipient_sector": ["Choose the sector"]},
        ),
        (
            {"recipient_kind": "everyone"},
            {"recipient_kind": ["Choose who the information may be shared with"]},
        ),
        ({"purpose": "marketing"}, {"purpose": ["Choose what the information may be used for"]}),
        (
            {"purpose": Purpose.REFERRAL, "purpose_detail": "   "},
            {"purpose_detail": ["Say which referral the consent is for"]},
        ),
        ({"evidence": "telepathy"}, {"evidence": ["Say how the consent was given"]}),
    ],
    ids=[
        "end-before-start",
        "end-before-now",
        "unknown-category",
        "no-category",
        "no-organisation",
        "bad-sector",
        "bad-kind",
        "bad-purpose",
        "referral-unnamed",
        "bad-evidence",
    ],
)
def test_consent_rules(personas, person, nothing_written, overrides, errors):
    with pytest.raises(ValidationError) as raised:
        record(personas, person, **overrides)
    assert message_of(raised.value) == errors


def test_a_recipient_outside_the_network_is_refused(personas, person, nothing_written):
    elsewhere = f.OrganisationFactory()

    with pytest.raises(ValidationError) as raised:
        record(personas, person, recipient_organisation=elsewhere)

    assert message_of(raised.value) == {
        "recipient_organisation": ["That organisation is not in this network"]
    }


@pytest.mark.parametrize(
    "recipient",
    [
        {"recipient_kind": RecipientKind.SECTOR, "recipient_sector": Sector.HOUSING},
        {"recipient_kind": RecipientKind.NETWORK},
    ],
    ids=["sector", "network"],
)
def test_substance_use_to_more_than_one_organisation_is_refused(
    personas, person, nothing_written, recipient
):
    with pytest.raises(ValidationError) as raised:
        record(personas, person, categories=["identity", "substance_use"], **recipient)

    assert message_of(raised.value) == {
        "categories": [
            "Substance use can only be shared with one named organisation, never a whole "
            "sector or the network"
        ]
    }


def test_substance_use_to_one_organisation_is_fine(personas, person):
    consent = record(personas, person, categories=["substance_use"])
    assert decide(actor=actor(personas.partner), person=person, category=DataCategory.SUBSTANCE_USE)
    assert consent.category_codes == ["substance_use"]


def test_every_problem_is_reported_at_once(personas, person, nothing_written):
    with pytest.raises(ValidationError) as raised:
        record(personas, person, purpose="x", evidence="y", categories=["z"])
    assert set(raised.value.message_dict) == {"purpose", "evidence", "categories"}


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("outsider", "only organisations working with the person can edit"),
        ("partner", "only organisations working with the person can edit"),
        ("netadmin", "the Network administrator role cannot edit records"),
        ("privacy", "the Privacy officer role cannot edit records"),
    ],
)
def test_only_casework_roles_working_with_the_person_record_consent(
    personas, person, username, message
):
    make_consent(person, organisation=personas.partner_org, categories=["identity"])
    before = counts()

    with pytest.raises(PermissionDenied, match=message):
        record(personas, person, actor=actor(getattr(personas, username)))

    assert counts() == before


# --- consent_withdraw ----------------------------------------------------------------------


def test_withdraw_a_consent(personas, person):
    consent = make_consent(person, organisation=personas.partner_org, categories=["health"])
    assert decide(actor=actor(personas.partner), person=person)

    withdrawal = consent_withdraw(
        actor=actor(personas.keyworker), consent=consent, reason="  On the phone  "
    )

    assert (withdrawal.reason, withdrawal.withdrawn_by) == ("On the phone", personas.keyworker)
    consent.refresh_from_db()
    assert consent.status() == "withdrawn"
    event = AuditEvent.objects.get(action="consent.withdraw")
    assert (event.person_id, event.categories) == (person.pk, ["health"])
    assert not decide(actor=actor(personas.partner), person=person)


def test_withdrawing_twice_is_refused(personas, person):
    consent = make_consent(person, organisation=personas.partner_org, categories=["health"])
    consent_withdraw(actor=actor(personas.keyworker), consent=consent)
    consent = Consent.objects.get(pk=consent.pk)
    before = counts()

    with pytest.raises(ValidationError) as raised:
        consent_withdraw(actor=actor(personas.keyworker), consent=consent)

    assert message_of(raised.value) == {"consent": ["This consent was already withdrawn"]}
    assert counts() == before


@pytest.mark.parametrize("username", ["partner", "outsider", "netadmin"])
def test_only_casework_roles_working_with_the_person_withdraw(personas, person, username):
    consent = make_consent(person, organisation=personas.partner_org, categories=["health"])
    before = counts()

    with pytest.raises(PermissionDenied):
        consent_withdraw(actor=actor(getattr(personas, username)), consent=consent)

    assert counts() == before


# --- legal_basis_record / legal_basis_end ----------------------------------------------------


def record_basis(personas, person, **overrides):
    values = {
        "actor": actor(personas.manager),
        "person": person,
        "kind": "safeguarding",
        "recipient_organisation": personas.outsider_org,
        "categories": ["safety", "legal"],
        "reason": "Police request under a safeguarding referral",
        "valid_until": timezone.now() + 30 * DAY,
    }
    return legal_basis_record(**(values | overrides))


def test_a_manager_records_a_legal_basis(personas, person):
    basis = record_basis(personas, person)

    assert (basis.categories, basis.recorded_by) == (["legal", "safety"], personas.manager)
    event = AuditEvent.objects.get(action="legal_basis.record")
    assert event.summary.startswith(
        "Safeguarding (risk of harm): legal and justice, safety and domestic abuse shared with "
        "Valleys Law Clinic without consent until "
    )
    outsider = actor(personas.outsider)
    assert decide(actor=outsider, person=person)
    assert decide(actor=outsider, person=person, category=DataCategory.SAFETY)
    assert not decide(actor=outsider, person=person, category=DataCategory.HEALTH)


@pytest.mark.parametrize("username", ["keyworker", "partner", "netadmin", "privacy"])
def test_only_a_manager_records_a_legal_basis(personas, person, nothing_written, username):
    with pytest.raises(PermissionDenied, match="Only a manager"):
        record_basis(personas, person, actor=actor(getattr(personas, username)))


def test_a_manager_of_an_organisation_not_working_with_the_person_cannot(
    personas, person, nothing_written
):
    boss = f.UserFactory(username="boss")
    f.MembershipFactory(user=boss, organisation=personas.outsider_org, role=Role.MANAGER)

    with pytest.raises(PermissionDenied):
        record_basis(personas, person, actor=actor(boss))


def test_a_legal_basis_lasts_at_most_90_days(personas, person, nothing_written):
    assert LEGAL_BASIS_MAX_DAYS == 90
    with pytest.raises(ValidationError) as raised:
        record_basis(personas, person, valid_until=timezone.now() + 91 * DAY)
    assert message_of(raised.value) == {"valid_until": ["A legal basis lasts at most 90 days"]}


def test_a_legal_basis_of_89_days_is_fine(personas, person):
    assert record_basis(personas, person, valid_until=timezone.now() + 89 * DAY).pk


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"valid_until": timezone.now() - dt.timedelta(minutes=1)}, "valid_until"),
        ({"reason": "  because  "}, "reason"),
        ({"categories": []}, "categories"),
        ({"categories": ["tarot"]}, "categories"),
        ({"kind": "hunch"}, "kind"),
    ],
)
def test_legal_basis_rules(personas, person, nothing_written, overrides, field):
    with pytest.raises(ValidationError) as raised:
        record_basis(personas, person, **overrides)
    assert list(raised.value.message_dict) == [field]


def test_a_legal_basis_to_another_network_is_refused(personas, person, nothing_written):
    with pytest.raises(ValidationError) as raised:
        record_basis(personas, person, recipient_organisation=f.OrganisationFactory())
    assert list(raised.value.message_dict) == ["recipient_organisation"]


def test_ending_a_legal_basis(personas, person):
    basis = make_legal_basis(
        person,
        organisation=personas.outsider_org,
        categories=["safety"],
        recorded_by=personas.manager,
    )
    assert decide(actor=actor(personas.outsider), person=person)
    with pytest.raises(PermissionDenied):
        legal_basis_end(actor=actor(personas.keyworker), basis=basis)

    ended = legal_basis_end(actor=actor(personas.manager), basis=basis)

    assert ended.ended_at is not None
    assert not decide(actor=actor(personas.outsider), person=person)
    assert AuditEvent.objects.filter(action="legal_basis.end").count() == 1
    legal_basis_end(actor=actor(personas.manager), basis=ended)  # ending twice: nothing new
    assert AuditEvent.objects.filter(action="legal_basis.end").count() == 1


# --- break_glass_start ---------------------------------------------------------------------


def test_break_glass_opens_the_record_for_the_networks_minutes(personas, person):
    outsider = actor(personas.outsider)
    assert not decide(actor=outsider, person=person)  # loads (and caches) the grounds

    access = break_glass_start(
        actor=outsider, person=person, reason="risk_to_life", justification=f"  {JUSTIFICATION} "
    )

    assert access.expires_at - access.started_at == dt.timedelta(minutes=60)
    assert (access.user, access.organisation, access.justification, access.review) == (
        personas.outsider,
        personas.outsider_org,
        JUSTIFICATION,
        Review.PENDING,
    )
    event = AuditEvent.objects.get(action="break_glass.start")
    assert (event.break_glass, event.decision_reason, event.person_id) == (
        True,
        JUSTIFICATION,
        person.pk,
    )
    assert event.categories == sorted(c.value for c in DataCategory)
    # The same request sees it at once: the cached grounds were dropped.
    decision = decide(actor=outsider, person=person, category=DataCategory.MENTAL_HEALTH)
    assert decision.allowed and decision.break_glass


def test_break_glass_minutes_are_the_networks(personas, person):
    personas.network.break_glass_minutes = 15
    personas.network.save()
    access = break_glass_start(
        actor=actor(personas.outsider),
        person=person,
        reason="missing_person",
        justification=JUSTIFICATION,
    )
    assert access.expires_at - access.started_at == dt.timedelta(minutes=15)


def test_key_workers_are_told_on_commit(personas, person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        break_glass_start(
            actor=actor(personas.outsider),
            person=person,
            reason="risk_to_life",
            justification=JUSTIFICATION,
        )

    [message] = mail.outbox
    assert message.to == [personas.keyworker.email]
    assert person.given_name not in message.body  # a link behind sign-in, no personal details
    assert f"/people/{person.pk}/access-log" in message.body


@pytest.mark.parametrize(
    ("justification", "reason", "field"),
    [
        ("", "risk_to_life", "justification"),
        ("   short but padded   ", "risk_to_life", "justification"),
        ("x" * 19, "risk_to_life", "justification"),
        (JUSTIFICATION, "curiosity", "reason"),
    ],
)
def test_break_glass_needs_a_reason_and_a_justification(
    personas, person, nothing_written, justification, reason, field
):
    with pytest.raises(ValidationError) as raised:
        break_glass_start(
            actor=actor(personas.outsider),
            person=person,
            reason=reason,
            justification=justification,
        )
    assert list(raised.value.message_dict) == [field]
    assert not decide(actor=actor(personas.outsider), person=person)


@pytest.mark.parametrize("username", ["netadmin", "privacy"])
def test_break_glass_is_for_casework_roles(personas, person, nothing_written, username):
    with pytest.raises(PermissionDenied, match="cannot use break-glass"):
        break_glass_start(
            actor=actor(getattr(personas, username)),
            person=person,
            reason="risk_to_life",
            justification=JUSTIFICATION,
        )


def test_break_glass_stays_in_the_network(personas, nothing_written):
    with pytest.raises(PermissionDenied, match="another network"):
        break_glass_start(
            actor=actor(personas.outsider),
            person=f.PersonFactory(),
            reason="risk_to_life",
            justification=JUSTIFICATION,
        )


def test_person_for_break_glass_by_reference_or_identifier(personas, person):
    f.IdentifierFactory(person=person, value="LA1234567")
    outsider = actor(personas.outsider)

    assert person_for_break_glass(actor=outsider, reference=person.reference) == person
    assert person_for_break_glass(actor=outsider, reference="la 123-4567") == person
    with pytest.raises(PersonNotFound):
        person_for_break_glass(actor=outsider, reference=f.PersonFactory().reference)


# --- break_glass_review ----------------------------------------------------------------------


@pytest.fixture
def access(personas, person):
    return make_break_glass(person, user=personas.outsider, organisation=personas.outsider_org)


def test_the_privacy_officer_reviews_an_access(personas, access):
    reviewed = break_glass_review(
        actor=actor(personas.privacy), access=access, outcome=Review.JUSTIFIED
    )

    assert (reviewed.review, reviewed.reviewed_by) == (Review.JUSTIFIED, personas.privacy)
    assert reviewed.reviewed_at is not None
    event = AuditEvent.objects.get(action="break_glass.review")
    assert event.summary == f"Emergency access #{access.pk} reviewed: justified"


def test_not_justified_needs_a_note(personas, access):
    privacy = actor(personas.privacy)
    with pytest.raises(ValidationError) as raised:
        break_glass_review(actor=privacy, access=access, outcome=Review.NOT_JUSTIFIED, note=" ")
    assert list(raised.value.message_dict) == ["note"]

    reviewed = break_glass_review(
        actor=privacy, access=access, outcome=Review.NOT_JUSTIFIED, note="No emergency"
    )
    assert (reviewed.review, reviewed.review_note) == (Review.NOT_JUSTIFIED, "No emergency")


def test_an_access_is_reviewed_once(personas, access):
    privacy = actor(personas.privacy)
    break_glass_review(actor=privacy, access=access, outcome=Review.JUSTIFIED)
    stale = BreakGlass.objects.get(pk=access.pk)

    with pytest.raises(ValidationError, match="already been reviewed"):
        break_glass_review(actor=privacy, access=stale, outcome=Review.NOT_JUSTIFIED, note="x")

    assert BreakGlass.objects.get(pk=access.pk).review == Review.JUSTIFIED
    assert AuditEvent.objects.filter(action="break_glass.review").count() == 1


@pytest.mark.parametrize("outcome", [Review.PENDING, "maybe"])
def test_the_outcome_is_justified_or_not(personas, access, outcome):
    with pytest.raises(ValidationError):
        break_glass_review(actor=actor(personas.privacy), access=access, outcome=outcome)
    assert BreakGlass.objects.get(pk=access.pk).review == Review.PENDING


@pytest.mark.parametrize("username", ["keyworker", "manager", "netadmin", "outsider"])
def test_only_a_privacy_officer_reviews(personas, access, username):
    with pytest.raises(PermissionDenied):
        break_glass_review(
            actor=actor(getattr(personas, username)), access=access, outcome=Review.JUSTIFIED
        )
    assert BreakGlass.objects.get(pk=access.pk).review == Review.PENDING


def test_a_privacy_officer_of_another_network_cannot_review(personas, access):
    stranger = f.UserFactory(username="elsewhere-privacy")
    f.MembershipFactory(user=stranger, role=Role.PRIVACY_OFFICER)  # an org of another network

    with pytest.raises(PermissionDenied):
        break_glass_review(actor=actor(stranger), access=access, outcome=Review.JUSTIFIED)


def test_the_review_queue(personas, person, access):
    later = make_break_glass(person, user=personas.partner, organisation=personas.partner_org)
    BreakGlass.objects.filter(pk=later.pk).update(started_at=timezone.now())
    f.PersonFactory()  # noise in another network
    privacy = actor(personas.privacy)

    assert list(break_glass_queue(actor=privacy)) == [later, access]
    break_glass_review(actor=privacy, access=later, outcome=Review.JUSTIFIED)
    assert list(break_glass_queue(actor=privacy)) == [access]
    assert list(break_glass_queue(actor=privacy, include_reviewed=True)) == [later, access]
    assert not break_glass_queue(actor=actor(personas.manager)).exists()


# --- selectors beside the services ---------------------------------------------------------


def test_consents_for_person_and_consent_get(personas, person):
    consent = make_consent(person, organisation=personas.partner_org, categories=["health"])

    assert list(consents_for_person(actor=actor(personas.keyworker), person=person)) == [consent]
    assert list(consents_for_person(actor=actor(personas.privacy), person=person)) == [consent]
    with pytest.raises(PersonNotFound):
        consents_for_person(actor=actor(personas.partner), person=person)
    assert consent_get(actor=actor(personas.keyworker), consent_id=consent.pk) == consent
    with pytest.raises(PersonNotFound):
        consent_get(actor=actor(personas.partner), consent_id=consent.pk)
    with pytest.raises(PersonNotFound):
        consent_get(actor=actor(personas.keyworker), consent_id=consent.pk + 1000)


def test_reading_the_access_log_is_itself_audited(personas, person):
    log = access_log(actor=actor(personas.keyworker), person=person)
    export = access_log(actor=actor(personas.keyworker), person=person, export=True)

    assert [e.action for e in export] == ["access_log.export", "access_log.view"]
    assert [e.action for e in log] == ["access_log.export", "access_log.view"]  # lazy
    with pytest.raises(PersonNotFound):
        access_log(actor=actor(personas.outsider), person=person)


def test_the_log_holds_reads_only(personas, person):
    record(personas, person)  # a write

    assert not any(
        e.kind == AuditKind.WRITE for e in access_log(actor=actor(personas.privacy), person=person)
    )
