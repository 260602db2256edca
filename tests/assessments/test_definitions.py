"""Instruments, tier rules and need-order templates as versioned data: the shipped files, the
loader (idempotent, versioned, all or nothing) and its errors."""

from __future__ import annotations

import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.assessments.factories import HRSN, SSM
from wraparound.assessments.definition import DefinitionError, parse_definition
from wraparound.assessments.loader import INSTRUMENTS_DIR, load_all
from wraparound.assessments.models import (
    Instrument,
    InstrumentVersion,
    NeedOrderTemplate,
    TierRuleSet,
)
from wraparound.directory.needs import NeedCategory
from wraparound.people.choices import PopulationGroup

pytestmark = pytest.mark.django_db


def shipped(name: str) -> dict:
    return json.loads((INSTRUMENTS_DIR / name).read_text())


def test_self_sufficiency_matrix_has_the_domains_and_our_own_anchors():
    definition = parse_definition(shipped("self_sufficiency_matrix.json"))
    domains = {q.domain: q for s in definition.sections for q in s.questions}
    assert len(domains) >= 15
    expected = {
        "housing", "income", "employment", "food", "childcare", "children_education",
        "adult_education", "health_care", "mental_health", "substance_use", "life_skills",
        "family_social", "mobility", "community", "safety", "legal", "parenting", "disability",
    }  # fmt: skip
    assert expected <= set(domains)
    assert definition.levels == {
        1: "in crisis", 2: "vulnerable", 3: "safe", 4: "building capacity", 5: "empowered"
    }  # fmt: skip
    anchors = set()
    for q in domains.values():
        assert [o.score for o in q.options] == [1, 2, 3, 4, 5]
        assert q.need_category in NeedCategory.values
        anchors.update(o.label for o in q.options)
    # Every level of every domain has its own wording.
    assert len(anchors) == 5 * len(domains)


def test_hrsn_core_screen_carries_loinc_codes_and_published_rules():
    definition = parse_definition(shipped("ahc_hrsn_core.json"))
    loinc = {q.code: q.loinc for q in definition.questions.values()}
    assert loinc == {
        "living_situation": "71802-3",
        "housing_quality": "96778-6",
        "food_worry": "88122-7",
        "food_last": "88123-5",
        "transportation": "93030-5",
        "utilities": "96779-4",
        "safety_hurt": "95618-5",
        "safety_insult": "95617-7",
        "safety_threaten": "95616-9",
        "safety_scream": "95615-1",
    }
    rules = {r.code: r for r in definition.rules}
    safety = rules["interpersonal_safety"]
    assert (safety.kind, safety.threshold, len(safety.questions)) == ("sum_over", 10, 4)
    assert rules["food_insecurity"].values == {"often", "sometimes"}
    assert rules["housing_instability"].values == {"worried", "no_steady_place"}
    assert definition.questions["housing_quality"].multiple


def test_load_is_idempotent_and_makes_everything_current():
    first = load_all(loaded_by="test")
    assert f"{SSM} v1" in first.loaded and f"{HRSN} v1" in first.loaded
    again = load_all(loaded_by="test")
    assert again.loaded == []
    assert Instrument.objects.count() == 2
    assert InstrumentVersion.objects.filter(is_current=True).count() == 2
    assert TierRuleSet.objects.get(is_current=True).version == 1
    templates = NeedOrderTemplate.objects.filter(is_current=True)
    groups = {g for t in templates for g in t.groups}
    for group in ("homeless", "severe_mental_illness", "vulnerable_family", "older_person",
                  "disability", "care_leaver"):  # fmt: skip
        assert group in groups
    assert groups <= set(PopulationGroup.values)


def _copy_dir(tmp_path: Path) -> Path:
    for path in INSTRUMENTS_DIR.glob("*.json"):
        (tmp_path / path.name).write_text(path.read_text())
    return tmp_path


def test_a_new_version_becomes_current_and_the_old_one_is_kept(tmp_path):
    load_all()
    directory = _copy_dir(tmp_path)
    data = shipped("ahc_hrsn_core.json")
    data["version"] = 2
    data["name"] = "AHC HRSN core screen (revised)"
    (directory / "ahc_hrsn_core.json").write_text(json.dumps(data))
    report = load_all(directory=directory)
    assert report.loaded == [f"{HRSN} v2"]
    versions = InstrumentVersion.objects.filter(instrument__code=HRSN)
    assert sorted(versions.values_list("version", "is_current")) == [(1, False), (2, True)]


def test_changing_a_published_version_is_refused_and_nothing_is_loaded(tmp_path):
    load_all()
    directory = _copy_dir(tmp_path)
    data = shipped("ahc_hrsn_core.json")
    data["sections"][0]["title"] = "Changed without a new version"
    (directory / "ahc_hrsn_core.json").write_text(json.dumps(data))
    rules = shipped("tier_rules.json")
    rules["version"] = 2
    (directory / "tier_rules.json").write_text(json.dumps(rules))
    with pytest.raises(DefinitionError, match="already loaded with different content"):
        load_all(directory=directory)
    assert not TierRuleSet.objects.filter(version=2).exists()


def _broken(mutate) -> dict:
    data = copy.deepcopy(shipped("self_sufficiency_matrix.json"))
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("version"), "'version' is required"),
        (lambda d: d.update(kind="quiz"), "kind must be one of"),
        (
            lambda d: d["sections"][0]["questions"][0].update(need_category="housing"),
            "sections[0].questions[0]: unknown need category 'housing'",
        ),
        (
            lambda d: d["sections"][0]["questions"][0]["options"].pop(),
            "one option per level 1 to 5",
        ),
        (
            lambda d: d["sections"][1]["questions"][0].update(code="housing"),
            "question 'housing' appears twice",
        ),
        (
            lambda d: d["sections"][0]["questions"][0]["options"][0].update(value="declined"),
            "reserved for no answer",
        ),
    ],
)
def test_bad_instrument_definitions_say_what_and_where(mutate, message):
    with pytest.raises(DefinitionError) as error:
        parse_definition(_broken(mutate))
    assert message in str(error.value)


def test_bad_screen_rule_names_the_unknown_question():
    data = shipped("ahc_hrsn_core.json")
    data["rules"][0]["questions"] = ["where_do_you_live"]
    with pytest.raises(DefinitionError, match=r"rules\[0\]: unknown question 'where_do_you_live'"):
        parse_definition(data)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"tier": "maximum", "when": "true", "reason": "x"}, "tier must be one of"),
        ({"tier": "intensive", "when": "size(crisis >= 1", "reason": "x"}, "not valid CEL"),
        ({"tier": "intensive", "when": "size(crisis)", "reason": "x"}, "must give true or false"),
        ({"tier": "intensive", "when": "true", "reason": "{nope}"}, "reason may only use"),
    ],
)
def test_bad_tier_rules_are_refused(tmp_path, rule, message):
    directory = _copy_dir(tmp_path)
    (directory / "tier_rules.json").write_text(json.dumps({"version": 1, "rules": [rule]}))
    with pytest.raises(DefinitionError, match=message):
        load_all(directory=directory)
    assert not Instrument.objects.exists()  # all or nothing


def test_bad_need_order_template_is_refused(tmp_path):
    directory = _copy_dir(tmp_path)
    data = shipped("need_order.json")
    data["templates"][0]["order"].append("world-peace")
    (directory / "need_order.json").write_text(json.dumps(data))
    with pytest.raises(DefinitionError, match=r"templates\[0\]: unknown need categories"):
        load_all(directory=directory)


def test_load_instruments_command(tmp_path):
    out = StringIO()
    call_command("load_instruments", stdout=out)
    assert "2 loaded" not in out.getvalue()  # instruments, rules and templates: more than 2
    assert f"Loaded {SSM} v1" in out.getvalue()
    out = StringIO()
    call_command("load_instruments", stdout=out)
    assert "0 loaded" in out.getvalue()
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(CommandError, match=r"Nothing was loaded\. broken\.json.*not valid JSON"):
        call_command("load_instruments", "--dir", str(tmp_path))
