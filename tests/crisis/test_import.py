import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests import factories as f
from wraparound.accounts.actor import Actor
from wraparound.audit.models import AuditEvent
from wraparound.crisis.models import CrisisEvent, RepresentationAlert
from wraparound.crisis.services import ImportFailed, crisis_events_import, read_crisis_csv

pytestmark = pytest.mark.django_db

HEADER = "local_id,person_reference,nhs_number,kind,occurred_at,detail\n"


def _day(days_ago: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=days_ago)).isoformat()


@pytest.fixture
def nhs_person(personas):
    person = f.PersonFactory(network=personas.network, date_of_birth=dt.date(1990, 1, 1))
    f.IdentifierFactory(person=person, type="nhs_number", value="9434765919")
    return person


def _good_file(person, nhs_person) -> str:
    return (
        HEADER
        + f"ED-1,{person.reference},,ed_attendance,{_day(3)}T02:15,Fall\n"
        + f"ED-2,,943 476 5919,hospital_admission,{_day(2)},\n"
        + f"CT-9,{person.reference.lower()},,crisis_team,{_day(1)},\n"
    )


def _import(text, source):
    return crisis_events_import(
        actor=Actor.system("test"), source=source, rows=read_crisis_csv(text)
    )


def test_import_creates_events_raises_alerts_and_is_idempotent(
    hospital, person, nhs_person, stepped_down_case
):
    result = _import(_good_file(person, nhs_person), hospital)
    assert len(result.created) == 3 and result.unchanged == 0
    assert result.alerts == 2  # the two events of the stepped-down person
    by_id = {e.local_id: e for e in CrisisEvent.objects.all()}
    assert by_id["ED-2"].person == nhs_person
    assert by_id["ED-1"].occurred_at.hour == 2 and by_id["ED-1"].detail == "Fall"
    assert {e.category for e in by_id.values()} == {"health", "mental_health"}
    assert AuditEvent.objects.filter(action="crisis_event.import").count() == 3
    again = _import(_good_file(person, nhs_person), hospital)
    assert (len(again.created), again.unchanged, again.alerts) == (0, 3, 0)
    assert CrisisEvent.objects.count() == 3
    assert RepresentationAlert.objects.count() == 2


def test_every_bad_row_is_reported_and_nothing_is_saved(hospital, person, nhs_person):
    text = (
        HEADER
        + f"ED-1,{person.reference},,ed_attendance,{_day(3)},\n"  # fine
        + f",{person.reference},,ed_attendance,{_day(3)},\n"  # no local id
        + f"ED-3,P-999999,,ed_attendance,{_day(3)},\n"  # unknown person
        + f"ED-4,,1111111111,ed_attendance,{_day(3)},\n"  # unknown NHS number
        + f"ED-5,{person.reference},,picnic,{_day(3)},\n"  # unknown kind
        + f"ED-6,{person.reference},,ed_attendance,yesterday,\n"  # bad date
        + f"ED-7,{person.reference},,ed_attendance,{_day(-3)},\n"  # future
        + f"ED-1,{person.reference},,ed_attendance,{_day(2)},\n"  # duplicate id in file
        + f"ED-9,,,ed_attendance,{_day(2)},\n"  # no person at all
    )
    with pytest.raises(ImportFailed) as failure:
        _import(text, hospital)
    problems = [(p.row, p.field) for p in failure.value.problems]
    assert problems == [
        (3, "local_id"),
        (4, "person_reference"),
        (5, "nhs_number"),
        (6, "kind"),
        (7, "occurred_at"),
        (8, "occurred_at"),
        (9, "local_id"),
        (10, "person_reference"),
    ]
    assert "8 rows were rejected; nothing was imported" in str(failure.value)
    assert "row 4 (local id ED-3), person_reference: No person P-999999" in str(
        failure.value.problems[1]
    )
    assert CrisisEvent.objects.count() == 0


def test_a_changed_row_under_the_same_id_is_rejected(hospital, person, nhs_person):
    _import(_good_file(person, nhs_person), hospital)
    changed = HEADER + f"ED-1,{person.reference},,police_custody,{_day(3)}T02:15,Fall\n"
    with pytest.raises(ImportFailed, match="1 row was rejected") as failure:
        _import(changed, hospital)
    assert "imported before with different details" in failure.value.problems[0].message


def test_the_same_local_id_from_another_source_is_another_event(
    personas, hospital, person, nhs_person
):
    _import(_good_file(person, nhs_person), hospital)
    _import(_good_file(person, nhs_person), personas.partner_org)
    assert CrisisEvent.objects.count() == 6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "header row"),
        ("local_id,kind\nA,ed_attendance\n", "missing: occurred_at"),
        ("local_id,kind,occurred_at\nA,ed_attendance,2026-01-01\n", "person_reference or nhs"),
        (HEADER + "A,P-000001,,ed_attendance,2026-01-01,,extra\n", "more cells"),
    ],
)
def test_a_malformed_file_is_refused(text, message):
    with pytest.raises(ImportFailed) as failure:
        read_crisis_csv(text)
    assert message in str(failure.value.problems[0])


def test_command_reports_every_rejected_row(tmp_path, hospital, person, nhs_person, capsys):
    good = tmp_path / "events.csv"
    good.write_text(_good_file(person, nhs_person), encoding="utf-8")
    call_command("import_crisis_events", str(good), "--source", "hospital")
    assert "3 crisis events imported, 0 already imported" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + f"X,{person.reference},,picnic,{_day(1)},\nY,,,x,y,\n")
    with pytest.raises(CommandError, match="2 rows were rejected"):
        call_command("import_crisis_events", str(bad), "--source", "hospital")
    err = capsys.readouterr().err
    assert "bad.csv: row 2 (local id X), kind" in err and "bad.csv: row 3 (local id Y)" in err
    with pytest.raises(CommandError, match="no organisation with slug"):
        call_command("import_crisis_events", str(good), "--source", "nowhere")
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_crisis_events", str(tmp_path / "missing.csv"), "--source", "hospital")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + "A,,,ed_attendance,2026-01-01,caf\xe9\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_crisis_events", str(latin), "--source", "hospital")
    assert CrisisEvent.objects.count() == 3
