"""The linkage model: comparison levels, parameters, and the in-process scorer agreeing with
Splink."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from wraparound.linkage import engine
from wraparound.linkage import normalise as n
from wraparound.linkage.model import (
    COMPARISONS,
    DEFAULT_LOWER,
    DEFAULT_UPPER,
    IdentityRecord,
    current_parameters,
    default_parameters,
    parameters_from_settings,
)
from wraparound.linkage.models import LinkageModel


def test_normalisation() -> None:
    assert n.fold("  Siân O'Neil-Jones ") == "sian oneil jones"
    assert n.name_key("Evans-Hughes") == "evanshughes"
    assert n.postcode_key(" cf10 1aa") == "CF101AA" and n.outward("CF10 1AA") == "CF10"
    assert n.dob_swapped("1980-03-04") == "1980-04-03"
    assert n.dob_swapped("1980-03-14") == "" and n.dob_swapped("1980-03-03") == ""
    assert "william" in n.given_aliases("bill") and "bill" in n.given_aliases("william")


def _levels(a: IdentityRecord, b: IdentityRecord) -> dict[str, str]:
    return {f.field: f.level for f in default_parameters().score(a, b).fields}


def test_levels_explain_each_field() -> None:
    base = IdentityRecord("William", "Evans", date(1980, 3, 4), "male", "1 High St", "CF10 1AA")
    other = IdentityRecord(
        "Bill", "Evans-Hughes", "1980-04-03", "male", "1 High Street", "CF10 2BB"
    )
    assert _levels(base, other) == {
        "given_name": "nickname or alias",
        "family_name": "one part of a double-barrelled name",
        "date_of_birth": "day/month swapped",
        "postcode": "same district",
        "address": "very similar",
        "sex": "same",
        "phone": "unknown",
        "email": "unknown",
        "national_number": "unknown",
    }
    result = default_parameters().score(base, other)
    assert "date of birth day/month swapped" in result.explanation
    assert "phone" not in result.explanation  # unknown on both sides: not mentioned
    swapped = IdentityRecord("Evans", "William", date(1980, 3, 4))
    assert _levels(base, swapped)["given_name"] == "is their family name (names swapped)"
    typo = IdentityRecord("William", "Evans", date(1981, 3, 4))
    assert _levels(base, typo)["date_of_birth"] == "one digit different"
    assert _levels(base, IdentityRecord("Zed", "Evans"))["given_name"] == "differs"


def test_scores_order_sensibly() -> None:
    params = default_parameters()
    me = IdentityRecord("Sian", "Evans", date(1992, 7, 2), "female", "4 Heol y Nant", "CF14 2BB")
    same = params.score(me, IdentityRecord("Siân", "Evans", date(1992, 7, 2), "female")).probability
    moved = params.score(me, IdentityRecord("Sian", "Evans", date(1992, 7, 2), postcode="SA1 1AA"))
    stranger = params.score(me, IdentityRecord("Peter", "Jones", date(1955, 12, 1))).probability
    assert same > DEFAULT_UPPER > DEFAULT_LOWER > stranger
    assert same >= moved.probability > stranger
    assert params.decide(same) == "link" and params.decide(stranger) == "new"
    assert params.decide((DEFAULT_UPPER + DEFAULT_LOWER) / 2) == "review"


def test_default_levels_are_probabilities() -> None:
    for spec in COMPARISONS:
        m_total = sum(level.m for level in spec.levels)
        u_total = sum(level.u for level in spec.levels)
        assert 0.95 <= m_total <= 1.05, spec.name
        assert 0.95 <= u_total <= 1.05, spec.name


def test_in_process_score_equals_splink() -> None:
    """Without term-frequency adjustment (the default model) the Python scorer gives the
    same probability as Splink for the same pair: one definition, two engines."""
    rows = [
        ("William", "Pritchard", "1980-03-14", "male", "12 High Street", "CF37 1AA"),
        ("Bill", "Pritchard", "1980-03-14", "male", "12 High St", "CF371AA"),
        ("Siân", "Evans-Hughes", "1992-07-02", "female", "4 Heol y Nant", "CF14 2BB"),
        ("Sian", "Evans", "1992-02-07", "female", "", "CF14 9ZZ"),
        ("Pritchard", "William", "1980-03-14", "", "", ""),
        ("Gareth", "Llewelyn", "1969-05-09", "male", "77 Church Rd", "SA11 5EE"),
        ("Gareth", "Llewellyn", "1969-05-19", "male", "77 Church Road", "SA11 5EE"),
    ]
    frame = pd.DataFrame(
        [
            {
                "unique_id": i,
                "given_name": g,
                "family_name": f,
                "date_of_birth": d,
                "sex": s,
                "address": a,
                "postcode": p,
            }
            for i, (g, f, d, s, a, p) in enumerate(rows)
        ]
    )
    pairs = engine.predict(engine.prepare(frame), engine.default_settings(), threshold=0.0)
    assert len(pairs) >= 4
    params = default_parameters()
    for left, right, probability in zip(
        pairs["unique_id_l"], pairs["unique_id_r"], pairs["match_probability"], strict=True
    ):
        a = IdentityRecord(*rows[left][:3], rows[left][3], rows[left][4], rows[left][5])
        b = IdentityRecord(*rows[right][:3], rows[right][3], rows[right][4], rows[right][5])
        assert params.score(a, b).probability == pytest.approx(probability, abs=1e-6)


@pytest.mark.django_db
def test_current_parameters_reads_the_newest_model(personas) -> None:  # type: ignore[no-untyped-def]
    assert current_parameters(personas.network).version == 0  # the documented default
    settings = engine.default_settings()
    settings["comparisons"][2]["comparison_levels"][1]["m_probability"] = 0.5  # dob exact
    from django.utils import timezone

    LinkageModel.objects.create(
        network=personas.network,
        version=3,
        settings=settings,
        upper_threshold=0.9,
        lower_threshold=0.4,
        trained_at=timezone.now(),
    )
    params = current_parameters(personas.network.pk)
    assert (params.version, params.upper_threshold, params.lower_threshold) == (3, 0.9, 0.4)
    dob = next(c for c in params.comparisons if c.name == "date_of_birth")
    assert dob.levels[0].label == "exact" and dob.levels[0].m == 0.5


def test_saved_settings_with_other_levels_are_refused() -> None:
    settings = engine.default_settings()
    settings["comparisons"][0]["comparison_levels"].pop()
    with pytest.raises(ValueError, match="given name comparison has other levels"):
        parameters_from_settings(settings, version=1, upper=0.9, lower=0.5)
