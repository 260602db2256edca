"""Importing agency records: columns, validation report, idempotence, resuming."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.linkage.conftest import HEADER, HOUSING, STRANGERS, write_csv
from wraparound.accounts.actor import Actor
from wraparound.audit.models import AuditEvent
from wraparound.linkage.models import ImportRun, ImportStatus, SourceRecord
from wraparound.linkage.services import import_people

pytestmark = pytest.mark.django_db


def _import(personas, path: Path, **kwargs):  # type: ignore[no-untyped-def]
    return import_people(
        actor=Actor.system("test"), path=path, source=personas.partner_org, **kwargs
    )


def test_import_creates_records_and_is_idempotent(personas, housing_csv: Path) -> None:
    report = _import(personas, housing_csv)
    assert report.run.created == 10 and report.run.rejected == []
    record = SourceRecord.objects.get(source=personas.partner_org, local_id="H2")
    assert (record.given_name, record.family_name, str(record.date_of_birth)) == (
        "Sian",
        "Evans-Hughes",
        "1992-07-02",
    )
    assert record.network_id == personas.network.pk and record.person_id is None
    again = _import(personas, housing_csv)
    # The same file again: a finished import is a new run, every row unchanged.
    assert (again.run.created, again.run.updated, again.run.unchanged) == (0, 0, 10)
    assert SourceRecord.objects.count() == 10
    assert AuditEvent.objects.filter(action="linkage.import").count() == 2


def test_reimport_updates_changed_records_by_local_id(personas, tmp_path: Path) -> None:
    _import(personas, write_csv(tmp_path / "a.csv", HOUSING))
    changed = [list(r) for r in HOUSING]
    changed[0][6] = "CF37 9ZZ"  # H1 moved
    report = _import(personas, write_csv(tmp_path / "b.csv", changed))
    assert (report.run.created, report.run.updated, report.run.unchanged) == (0, 1, 4)
    assert SourceRecord.objects.get(local_id="H1").postcode == "CF37 9ZZ"


def test_rejected_rows_are_reported_by_row_and_field(personas, tmp_path: Path) -> None:
    rows = [
        ["B1", "Ann", "Bell", "1990-13-45", "", "", "", "", ""],  # malformed date
        ["B2", "Tom", "Hill", "1750-01-01", "", "", "", "", ""],  # impossible year
        ["B3", "", "", "1990-01-01", "", "", "", "", ""],  # no name
        ["", "Kim", "Lee", "", "", "", "", "", ""],  # no local id
        ["B5", "Jo", "Ward", "2990-01-01", "", "", "", "", ""],  # born in the future
        ["B6", "Al", "Cook", "", "robot", "", "", "", ""],  # unknown sex
        ["B7", "Good", "Row", "01/02/1990", "F", "", "", "", ""],  # fine (DD/MM/YYYY)
        ["B7", "Dup", "Row", "", "", "", "", "", ""],  # repeated local id
        ["B9", "", "Mononym", "", "", "", "", "", ""],  # one name is enough
    ]
    report = _import(personas, write_csv(tmp_path / "bad.csv", rows))
    by_row = {item["row"]: item for item in report.rejected}
    assert set(by_row) == {2, 3, 4, 5, 6, 7, 9}
    assert "malformed date" in by_row[2]["errors"]["date_of_birth"]
    assert "impossible birth date 1750-01-01" in by_row[3]["errors"]["date_of_birth"]
    assert "empty name" in by_row[4]["errors"]["given_name"]
    assert "empty local id" in by_row[5]["errors"]["local_id"]
    assert "impossible" in by_row[6]["errors"]["date_of_birth"]
    assert "unknown sex" in by_row[7]["errors"]["sex"]
    assert "repeats row 8" in by_row[9]["errors"]["local_id"]
    assert by_row[2]["local_id"] == "B1"
    assert sorted(SourceRecord.objects.values_list("local_id", flat=True)) == ["B7", "B9"]
    good = SourceRecord.objects.get(local_id="B7")
    assert str(good.date_of_birth) == "1990-02-01" and good.sex == "female"


def test_missing_required_column_refused_before_writing(personas, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "x.csv", [["A", "Evans", "1990-01-01"]], ["id", "family_name", "dob"]
    )
    with pytest.raises(ValidationError) as exc:
        _import(personas, path)
    message = exc.value.message_dict["file"][0]
    assert "missing the required columns local_id, given_name" in message
    assert SourceRecord.objects.count() == 0 and ImportRun.objects.count() == 0


def test_column_mapping(personas, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        [["A1", "Ann", "Bell", "1990-01-01"]],
        ["id", "forename", "surname", "dob"],
    )
    mapping = {
        "id": "local_id",
        "forename": "given_name",
        "surname": "family_name",
        "dob": "date_of_birth",
    }
    _import(personas, path, mapping=mapping)
    record = SourceRecord.objects.get()
    assert (record.local_id, record.given_name, str(record.date_of_birth)) == (
        "A1",
        "Ann",
        "1990-01-01",
    )
    with pytest.raises(ValidationError, match="no column 'nope'"):
        _import(personas, path, mapping={"nope": "given_name"})


def test_parquet(personas, tmp_path: Path) -> None:
    frame = pd.DataFrame(HOUSING, columns=HEADER)
    frame["date_of_birth"] = pd.to_datetime(frame["date_of_birth"]).dt.date
    path = tmp_path / "h.parquet"
    frame.to_parquet(path)
    report = _import(personas, path)
    assert report.run.created == 5
    assert str(SourceRecord.objects.get(local_id="H3").date_of_birth) == "1975-11-30"


def test_interrupted_import_resumes_without_duplicates(personas, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "big.csv", HOUSING + STRANGERS)
    first = _import(personas, path, batch_size=3, stop_after_batches=2)
    assert first.run.status == ImportStatus.RUNNING and first.run.rows_done == 6
    assert SourceRecord.objects.count() == 6
    second = _import(personas, path, batch_size=3)
    assert second.resumed_from == 6 and second.run.pk == first.run.pk
    assert second.run.status == ImportStatus.DONE
    assert (second.run.created, second.run.rows_done) == (10, 10)
    assert SourceRecord.objects.count() == 10


def test_import_command_prints_report(personas, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "c.csv", [["C1", "Ann", "Bell", "31/02/1990", "", "", "", "", ""]])
    report_path = tmp_path / "rejected.csv"
    call_command(
        "import_people", str(path), "--source", "housing-assoc", "--report", str(report_path)
    )
    out = capsys.readouterr().out
    assert "1 rejected" in out and "row 2 (local id C1): date_of_birth: malformed date" in out
    assert "C1,date_of_birth" in report_path.read_text()
    with pytest.raises(CommandError, match="No organisation"):
        call_command("import_people", str(path), "--source", "nowhere")
    with pytest.raises(CommandError, match="header=column"):
        call_command("import_people", str(path), "--source", "housing-assoc", "--map", "oops")
