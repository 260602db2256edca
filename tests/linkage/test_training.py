"""A network large enough to train on: EM learns the model, and bulk linkage through the
services finds the synthetic truth."""

from __future__ import annotations

import sys
from itertools import combinations
from pathlib import Path

import pytest

from wraparound.accounts.actor import Actor
from wraparound.linkage.models import LinkageModel, LinkStatus, SourceRecord
from wraparound.linkage.services import import_people, link_network

BENCH = Path(__file__).resolve().parents[2] / "bench"
pytestmark = pytest.mark.django_db


def _generate(size: int):  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(BENCH))
    try:
        from _people_generator import generate
    finally:
        sys.path.remove(str(BENCH))
    return generate(size, seed=7)


def test_trained_model_links_synthetic_records(personas, tmp_path) -> None:  # type: ignore[no-untyped-def]
    records = _generate(1500)
    path = tmp_path / "agency.csv"
    columns = ["local_id", "given_name", "family_name", "date_of_birth", "sex", "address"]
    columns += ["postcode", "phone", "email"]
    records[columns].to_csv(path, index=False)
    report = import_people(actor=Actor.system("t"), path=path, source=personas.partner_org)
    assert report.run.rejected == [] and report.run.created == 1500

    summary = link_network(actor=personas.actor(personas.keyworker), network=personas.network)
    model = LinkageModel.objects.get()
    assert model.metrics["trained"] is True and model.trained_on == 1500
    dob = next(
        c for c in model.settings["comparisons"] if c["output_column_name"] == "date_of_birth"
    )
    exact = dob["comparison_levels"][1]
    assert exact["m_probability"] > 0.5 and exact["u_probability"] < 0.01  # learnt, not default

    person_of = dict(SourceRecord.objects.values_list("local_id", "person_id"))
    truth = dict(zip(records["local_id"], records["truth"], strict=True))
    waiting = set(
        SourceRecord.objects.filter(link_status=LinkStatus.REVIEW).values_list(
            "local_id", flat=True
        )
    )
    assert len(waiting) == summary.counts["review"] < 30
    linked = [k for k in truth if k not in waiting]
    found = {(a, b) for a, b in combinations(sorted(linked), 2) if person_of[a] == person_of[b]}
    true = {(a, b) for a, b in combinations(sorted(linked), 2) if truth[a] == truth[b]}
    true_positive = len(found & true)
    precision, recall = true_positive / len(found), true_positive / len(true)
    assert precision > 0.98 and recall > 0.95, (precision, recall)
