"""Scoring, tiering and need ordering as pure functions over the shipped definitions."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.assessments.factories import SSM_REQUIRED, hrsn_answers, ssm_answers
from wraparound.assessments.definition import parse_definition
from wraparound.assessments.loader import INSTRUMENTS_DIR
from wraparound.assessments.models import AnswerStatus, Severity, Tier
from wraparound.assessments.scoring import (
    Finding,
    assign_tier,
    check_answers,
    check_template,
    compile_rules,
    order_needs,
    score_answers,
)


def _load(name):
    return json.loads((INSTRUMENTS_DIR / name).read_text())


SSM = parse_definition(_load("self_sufficiency_matrix.json"))
HRSN = parse_definition(_load("ahc_hrsn_core.json"))
RULES = compile_rules(_load("tier_rules.json")["rules"])
TEMPLATES = [
    check_template(t, f"t{i}") for i, t in enumerate(_load("need_order.json")["templates"])
]


def run(definition, answers):
    return score_answers(definition, check_answers(definition, answers, complete=True))


def test_matrix_domains_at_or_below_two_are_needs_with_severity():
    scored = run(SSM, ssm_answers(housing=1, food=2, employment=3))
    assert scored.scores["housing"] == 1
    needs = {f.category: f for f in scored.findings}
    assert set(needs) == {"housing-instability", "food-insecurity"}
    assert needs["housing-instability"].severity == Severity.CRISIS
    assert needs["food-insecurity"].severity == Severity.HIGH
    assert needs["housing-instability"].evidence == "housing scored 1 (in crisis)"
    assert needs["food-insecurity"].priority_class == "priority"


def test_declined_and_dont_know_are_distinct_from_missing_and_never_a_score():
    answers = ssm_answers(housing="declined", food="dont_know")
    given_ = check_answers(SSM, answers, complete=True)
    assert given_["housing"].status == AnswerStatus.DECLINED
    assert given_["food"].status == AnswerStatus.DONT_KNOW
    assert "childcare" not in given_  # optional and left out: missing
    scored = score_answers(SSM, given_)
    assert scored.scores["housing"] is None and scored.score_status["food"] == "dont_know"
    assert "childcare" not in scored.scores
    assert scored.findings == []


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({**ssm_answers(), "shoe_size": 3}, {"shoe_size": "not a question of"}),
        ({**ssm_answers(), "housing": 6}, {"housing": "6 is not one of the options"}),
        ({**ssm_answers(), "housing": 0}, {"housing": "0 is not one of the options"}),
        ({**ssm_answers(), "housing": True}, {"housing": "True is not one of the options"}),
        (ssm_answers(housing=None), {"housing": "answer this question"}),
    ],
)
def test_bad_answers_are_named_by_question(answers, errors):
    with pytest.raises(ValidationError) as error:
        check_answers(SSM, answers, complete=True)
    messages = error.value.message_dict
    assert set(messages) == set(errors)
    for code, text in errors.items():
        assert text in messages[code][0]


def test_a_draft_may_leave_required_questions_missing():
    assert check_answers(SSM, {"housing": 2}, complete=False)["housing"].value == 2


def test_safety_is_positive_only_when_the_sum_is_over_ten():
    # 4 + 3 + 2 + 1 = 10: not positive (the rule is sum > 10).
    ten = hrsn_answers(
        safety_hurt="fairly_often",
        safety_insult="sometimes",
        safety_threaten="rarely",
        safety_scream="never",
    )
    scored = run(HRSN, ten)
    safety = next(s for s in scored.screens if s.code == "interpersonal_safety")
    assert (safety.positive, safety.total) == (False, 10)
    eleven = {**ten, "safety_scream": "rarely"}
    safety = next(s for s in run(HRSN, eleven).screens if s.code == "interpersonal_safety")
    assert (safety.positive, safety.total) == (True, 11)
    assert safety.severity == Severity.CRISIS


def test_screen_rules_food_housing_quality_utilities_living_situation():
    scored = run(
        HRSN,
        hrsn_answers(
            food_last="sometimes",
            housing_quality=["mould", "no_heat"],
            utilities="already_shut_off",
            living_situation="worried",
            transportation="yes",
        ),
    )
    positives = set(scored.positives)
    assert positives == {
        "food_insecurity",
        "housing_quality",
        "utilities",
        "housing_instability",
        "transportation",
    }
    severity = {f.category: f.severity for f in scored.findings}
    assert severity["utility-insecurity"] == Severity.CRISIS  # already shut off
    assert severity["housing-instability"] == Severity.HIGH  # worried, not homeless
    assert run(HRSN, hrsn_answers()).positives == []


def test_no_steady_place_is_a_crisis():
    scored = run(HRSN, hrsn_answers(living_situation="no_steady_place"))
    assert scored.crisis and "I do not have a steady place" in scored.crisis[0]


def test_multiple_choice_none_is_exclusive():
    with pytest.raises(ValidationError, match="cannot be chosen with other options"):
        check_answers(HRSN, hrsn_answers(housing_quality=["none", "mould"]), complete=True)


@pytest.mark.parametrize(
    ("answers", "tier", "reason"),
    [
        (ssm_answers(housing=1), Tier.INTENSIVE, "housing scored 1 (in crisis) → intensive"),
        (
            ssm_answers(food=2, income=2, legal=2, mobility=2),
            Tier.INTENSIVE,
            "4 areas vulnerable: ",
        ),
        (ssm_answers(food=2, income=2), Tier.SUPPORTED, "2 areas vulnerable: "),
        (ssm_answers(food=2), Tier.LIGHT_TOUCH, "food scored 2 (vulnerable) → light touch"),
        (
            ssm_answers(default=3),
            Tier.LIGHT_TOUCH,
            "several areas safe but not yet building capacity → light touch",
        ),
        (ssm_answers(), Tier.SELF_SERVICE, "no area in crisis or vulnerable → self-service"),
    ],
)
def test_tier_rules_first_match_wins_with_the_reason(answers, tier, reason):
    result = assign_tier(RULES, run(SSM, answers))
    assert result.tier == tier
    assert reason in result.reason


def test_a_positive_safety_screen_is_intensive():
    answers = hrsn_answers(**dict.fromkeys(["safety_hurt", "safety_threaten"], "frequently"),
                           safety_insult="rarely")  # fmt: skip
    result = assign_tier(RULES, run(HRSN, answers))
    assert result.tier == Tier.INTENSIVE
    assert "interpersonal safety: total 13 > 10 (4 of 4 answered)" in result.reason


def test_rules_see_scores_by_domain():
    rules = compile_rules(
        [
            {"tier": "supported", "when": "'income' in scores && scores['income'] <= 3",
             "reason": "income not secure"},
            {"tier": "self_service", "when": "true", "reason": "fine"},
        ]
    )  # fmt: skip
    assert assign_tier(rules, run(SSM, ssm_answers(income=3))).tier == Tier.SUPPORTED
    assert assign_tier(rules, run(SSM, ssm_answers(income="declined"))).tier == "self_service"


def f(category, severity=Severity.HIGH, priority="priority"):
    return Finding(category, severity, priority, category, f"{category} found")


def test_crisis_first_then_template_then_priority_then_severity():
    findings = [
        f("employment-status", priority="supportive"),
        f("food-insecurity"),
        f("mental-health", Severity.CRISIS),
        f("legal-needs", priority="supportive"),
        f("social-connection", priority="supportive"),
    ]
    ordered = order_needs(findings, TEMPLATES, ["care_leaver"])
    assert [n.finding.category for n in ordered] == [
        "mental-health",  # crisis first
        "food-insecurity",  # care leaver order: food 5, employment 10, social 11, legal 12
        "employment-status",
        "social-connection",
        "legal-needs",
    ]
    assert [n.position for n in ordered] == [1, 2, 3, 4, 5]
    assert "in crisis" in ordered[0].explanation
    assert "place 5 in the 'Young person leaving care' order" in ordered[1].explanation


def test_templates_differ_by_group():
    findings = [f("food-insecurity"), f("health-care-access"), f("housing-instability")]
    older = order_needs(findings, TEMPLATES, ["older_person"])
    family = order_needs(findings, TEMPLATES, ["vulnerable_family"])
    assert older[0].finding.category == "health-care-access"
    assert family[0].finding.category == "housing-instability"


def test_homeless_with_smi_needs_both_groups():
    findings = [f("mental-health"), f("food-insecurity")]
    both = order_needs(findings, TEMPLATES, ["homeless", "severe_mental_illness"])
    assert both[0].finding.category == "mental-health"
    # A sensitive group's template is not named in the explanation others may read.
    assert "place 4 in the 'person's population groups' order" in both[0].explanation
    assert "mental illness" not in both[0].explanation
    homeless_only = order_needs(findings, TEMPLATES, ["homeless"])
    assert homeless_only[0].finding.category == "food-insecurity"


def test_several_groups_merge_to_the_earliest_place():
    # Disability puts health care 2nd, transport 8th; care leaver puts transport 13th and
    # housing 2nd. Merged: each need takes its earliest place in either.
    findings = [
        f("transportation-insecurity", priority="supportive"),
        f("health-care-access"),
        f("housing-instability"),
    ]
    ordered = order_needs(findings, TEMPLATES, ["disability", "care_leaver"])
    assert [n.finding.category for n in ordered] == [
        "health-care-access",  # 2 (disability wins the tie: lower precedence number)
        "housing-instability",  # 2 in care leaver, but precedence 50 > 40
        "transportation-insecurity",  # 8 (disability)
    ]
    assert "'person's population groups' order" in ordered[0].explanation
    assert "'Young person leaving care' order" in ordered[1].explanation


def test_needs_outside_the_template_come_after_priority_before_supportive():
    findings = [f("digital-access", priority="supportive"), f("veteran-status")]
    ordered = order_needs(findings, TEMPLATES, [])
    assert [n.finding.category for n in ordered] == ["veteran-status", "digital-access"]
    assert "not in the 'General' order" in ordered[0].explanation


def test_one_need_per_category_keeps_the_most_severe():
    # Adult education 2 and life skills 1 are both "education and skills".
    scored = run(SSM, ssm_answers(adult_education=2, life_skills=1))
    ordered = order_needs(scored.findings, TEMPLATES, [])
    [need] = ordered
    assert need.finding.category == "educational-attainment"
    assert need.finding.severity == Severity.CRISIS
    assert "adult education and skills scored 2" in need.finding.evidence
    assert "life skills scored 1" in need.finding.evidence


@settings(max_examples=60, deadline=None)
@given(
    scores=st.dictionaries(
        st.sampled_from(SSM_REQUIRED),
        st.sampled_from([1, 2, 3, 4, 5, "declined", "dont_know"]),
    ),
    groups=st.sets(st.sampled_from(["homeless", "severe_mental_illness", "older_person",
                                    "care_leaver", "disability", "vulnerable_family"])),
)  # fmt: skip
def test_ordering_properties(scores, groups):
    scored = run(SSM, ssm_answers(**scores))
    ordered = order_needs(scored.findings, TEMPLATES, groups)
    categories = [n.finding.category for n in ordered]
    assert len(categories) == len(set(categories))
    assert [n.position for n in ordered] == list(range(1, len(ordered) + 1))
    low = {d for d, s in scores.items() if isinstance(s, int) and s <= 2}
    assert bool(low) == bool(ordered)
    crisis = [n.finding.severity == Severity.CRISIS for n in ordered]
    assert crisis == sorted(crisis, reverse=True)  # every crisis before any non-crisis
    tier = assign_tier(RULES, scored).tier
    assert (tier == Tier.INTENSIVE) >= any(crisis)


junk = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    answers=st.dictionaries(
        st.sampled_from([*HRSN.questions, "other", ""]) | st.text(max_size=8), junk, max_size=12
    ),
    complete=st.booleans(),
)
def test_any_input_is_either_accepted_or_refused_by_question(answers, complete):
    refused: dict[str, list[str]] = {}
    try:
        given_ = check_answers(HRSN, answers, complete=complete)
    except ValidationError as error:
        refused = error.message_dict
    if refused:
        assert set(refused) <= set(answers) | set(HRSN.questions)
        return
    scored = score_answers(HRSN, given_)
    assert {s.code for s in scored.screens} == {r.code for r in HRSN.rules}
