"""The casework pages of issues 4, 5 and 6 in a real browser: axe finds no WCAG 2.x A/AA
violation on screening, assessments, plans, crisis, referrals, enrolments, calendars, flags
and the SLA report; a referral is made and accepted with the keyboard and clicks a worker
would use."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser import World, assert_accessible, sign_in
from wraparound.assessments.demo import seed_assessments
from wraparound.assessments.loader import load_all
from wraparound.crisis.demo import seed_crisis
from wraparound.directory.demo import seed_directory
from wraparound.directory.models import Service
from wraparound.eligibility.demo import seed_eligibility
from wraparound.plans.demo import seed_plans

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def network(world: World) -> World:
    p = world.personas
    rng = random.Random(4)
    services = seed_directory(
        network=p.network, organisations=[p.one_stop, p.partner_org, p.outsider_org], rng=rng
    )
    seed_eligibility(network=p.network, services=services, rng=rng)
    load_all(loaded_by="tests")
    seed_assessments(network=p.network, people=[world.sian], rng=rng)
    seed_plans(network=p.network, people=[world.sian], rng=rng)
    seed_crisis(network=p.network, people=[world.sian], rng=rng)
    Service.objects.filter(organisation=p.partner_org).update(unit_cost=Decimal("40"))
    return world


def visit(page: Page, url: str, what: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, (url, response and response.status)
    assert_accessible(page, what)


def test_screening_assessment_plan_and_crisis_pages(page: Page, network: World) -> None:
    sian = network.sian.pk
    sign_in(page, "keyworker")
    visit(page, f"/eligibility/people/{sian}/", "what the person could get")
    visit(page, f"/eligibility/people/{sian}/circumstances", "the circumstances form")
    page.get_by_role("button", name="Save").first.click()
    assert_accessible(page, "the circumstances form after saving")
    visit(page, "/eligibility/rules/", "the rules")
    visit(page, "/eligibility/parameters/", "the parameters")
    visit(page, f"/assessments/people/{sian}/", "the person's assessments")
    link = page.get_by_role("link", name="View").first
    if link.count():
        link.click()
        assert_accessible(page, "an assessment")
    visit(page, f"/assessments/people/{sian}/", "the person's assessments")
    page.get_by_role("button", name="Start an assessment").click()
    assert_accessible(page, "an assessment being captured")
    visit(page, f"/plans/person/{sian}/", "the person's plans")
    visit(page, f"/crisis/person/{sian}/", "crisis events")
    visit(page, f"/crisis/person/{sian}/record", "recording a crisis event")
    page.get_by_role("button", name="Record event").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page, "the crisis form with errors")
    visit(page, "/crisis/alerts/", "re-presentation alerts")


def test_manager_pages(page: Page, network: World) -> None:
    sign_in(page, "manager")
    visit(page, "/eligibility/gaps/", "the gaps report")
    visit(page, "/referrals/sla/", "the SLA report")
    visit(page, "/flags/", "the flags list")
    visit(page, "/assessments/overrides/", "tier overrides")


def test_refer_accept_enrol_and_book(page: Page, network: World, browser) -> None:
    sian = network.sian
    sign_in(page, "keyworker")
    visit(page, f"/referrals/new/?person={sian.pk}&need=housing-instability", "the referral form")
    page.get_by_label("Service", exact=True).select_option(
        label="Tenancy sustainment — Taff Housing Association"
    )
    page.get_by_label("Why are you referring the person?").fill("Rent arrears, notice served")
    page.get_by_role("button", name="Send referral").click()
    # No consent to the housing association yet: nothing sent, the detour is offered.
    expect(page.get_by_role("link", name="Record consent first")).to_be_visible()
    assert_accessible(page, "the referral form asking for consent")
    page.get_by_role("link", name="Record consent first").click()
    assert_accessible(page, "the consent form from a referral")
    page.get_by_label("Coordinating care and support").check()
    page.get_by_label("Verbal consent, witnessed by the recording worker").check()
    page.get_by_role("button", name="Record consent").click()
    expect(page.get_by_label("Why are you referring the person?")).to_have_value(
        "Rent arrears, notice served"
    )
    page.get_by_role("button", name="Send referral").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Referral to Tenancy sustainment")
    assert_accessible(page, "a referral")
    visit(page, "/referrals/sent/", "referrals sent")
    visit(page, f"/appointments/person/{sian.pk}/", "the person's calendar")
    visit(page, f"/flags/person/{sian.pk}/", "the person's flags")

    partner = browser.new_context(base_url=page.url.split("/referrals")[0].split("/flags")[0])
    other = partner.new_page()
    sign_in(other, "partner")
    other.goto("/referrals/inbox/")
    assert_accessible(other, "the inbox")
    other.get_by_role("button", name="Accept").first.focus()
    other.keyboard.press("Enter")
    expect(other.get_by_text("is now accepted")).to_be_visible()
    other.get_by_role("link", name="R-").first.click()
    other.get_by_role("button", name="Enrol the person").click()
    expect(other.get_by_role("heading", level=1)).to_have_text("Tenancy sustainment")
    assert_accessible(other, "an enrolment")
    other.get_by_role("link", name="Record a service delivered").click()
    today = timezone.localdate()
    other.get_by_label("Day").fill(str(today.day))
    other.get_by_label("Month").fill(str(today.month))
    other.get_by_label("Year").fill(str(today.year))
    other.get_by_label("What was delivered").select_option("advice")
    other.get_by_label("Phone").check()
    other.get_by_role("button", name="Record").click()
    expect(other.get_by_role("cell", name="£40.00")).to_be_visible()
    visit(other, "/appointments/mine/", "the worker's calendar")
    partner.close()
