"""The de-identified export: refusals left out, rare combinations left out (k), dates to the
month, its own keys, a data dictionary, audited, analysts only."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from tests import factories as f
from wraparound.analytics import store
from wraparound.analytics.export import export_evaluation
from wraparound.audit.models import AuditEvent
from wraparound.core.models import Area


@pytest.fixture(autouse=True)
def analytics_dir(settings, tmp_path):
    settings.ANALYTICS_DIR = tmp_path / "analytics"


@pytest.fixture
def crowd(personas):
    """12 women of 35-44 in one district (a common group), and one man of 75+ (rare)."""
    region = Area.objects.create(network=personas.network, level="region", code="W92", name="Wales")
    district = Area.objects.create(
        network=personas.network, level="district", code="W06", name="Rhondda", parent=region
    )
    town = Area.objects.create(
        network=personas.network,
        level="neighbourhood",
        code="W05",
        name="Treorchy",
        parent=district,
    )
    common = [
        f.PersonFactory(
            network=personas.network,
            registered_by=personas.one_stop,
            sex="female",
            area=town,
            date_of_birth=dt.date(1986, 5, 1),
        )
        for _ in range(12)
    ]
    rare = f.PersonFactory(
        network=personas.network,
        registered_by=personas.one_stop,
        sex="male",
        area=town,
        date_of_birth=dt.date(1940, 5, 1),
    )
    return common, rare


def analyst(personas):  # type: ignore[no-untyped-def]
    return personas.actor(personas.manager)


def test_export_leaves_out_rare_and_refused_and_rekeys(personas, crowd, tmp_path):
    from wraparound.consent.services import consent_record, consent_withdraw

    common, _rare = crowd
    worker = personas.actor(personas.keyworker)
    refused = common[0]
    consent = consent_record(
        actor=worker,
        person=refused,
        recipient_kind="network",
        purpose="evaluation",
        categories=["assessments"],
        evidence="verbal",
    )
    consent_withdraw(actor=worker, consent=consent)
    store.refresh_store()
    out = tmp_path / "export"
    result = export_evaluation(actor=analyst(personas), directory=out, k=10)
    people = pq.read_table(out / "people.parquet").to_pylist()
    assert result.people == len(people) == 11
    assert result.excluded_refused == 1 and result.excluded_rare >= 1
    keys = {p["person_key"] for p in people}
    assert store.person_key(common[1].pk) not in keys  # the export's own keys
    assert all(p["registered_on"].day == 1 for p in people)  # dates to the month
    assert "evaluation_opt_out" not in people[0]
    dictionary = json.loads((out / "data_dictionary.json").read_text())
    assert dictionary["_about"]["k"] == 10
    assert "generalised to the first of the month" in (out / "data_dictionary.md").read_text()
    assert AuditEvent.objects.filter(action="analytics.export_evaluation").count() == 1


def test_only_aggregate_roles_export(personas, crowd, tmp_path):
    store.refresh_store()
    with pytest.raises(CommandError, match="Only analysts"):
        call_command(
            "export_evaluation", str(tmp_path / "x"), "--user", personas.keyworker.username
        )
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").iterdir())
    assert not AuditEvent.objects.filter(action="analytics.export_evaluation").exists()


def test_the_command_refuses_an_unknown_user_and_a_used_folder(personas, crowd, tmp_path):
    store.refresh_store()
    with pytest.raises(CommandError, match="no active user"):
        call_command("export_evaluation", str(tmp_path / "a"), "--user", "nobody")
    used = tmp_path / "used"
    used.mkdir()
    (used / "old.txt").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        call_command("export_evaluation", str(used), "--user", personas.manager.username)


def test_without_a_store_the_command_says_what_to_do(personas, tmp_path):
    with pytest.raises(CommandError, match="refresh_analytics"):
        call_command("export_evaluation", str(tmp_path / "e"), "--user", personas.manager.username)
