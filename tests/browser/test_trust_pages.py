"""The trust layer's staff pages in a real browser: axe finds no WCAG 2.x A/AA violation on
them, with and without errors, and an emergency access ends on the record with its banner."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import World, assert_accessible, new_context, page_widths, sign_in
from tests.consent import make_break_glass, make_consent, make_legal_basis

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def expect_error(page: Page, message: str) -> None:
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    link = summary.get_by_role("link", name=message)
    expect(link).to_be_visible()
    target = link.get_attribute("href")
    assert target and target.startswith("#")
    expect(page.locator(target)).to_have_count(1)


def test_sharing_and_consent_pages(page: Page, world: World) -> None:
    personas, sian = world.personas, world.sian
    consent = make_consent(
        sian, organisation=personas.partner_org, categories=["identity", "health"]
    )
    make_legal_basis(
        sian, organisation=personas.outsider_org, categories=["legal"], recorded_by=personas.manager
    )
    sign_in(page, "manager")

    page.goto(f"/people/{sian.pk}/")
    expect(page.get_by_role("heading", name="Sharing and consent")).to_be_visible()
    assert_accessible(page, "the record with its sharing section")

    page.get_by_role("link", name="Record consent").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record consent")
    assert_accessible(page, "the consent form")
    page.get_by_role("button", name="Record consent").click()
    expect_error(page, "Choose who the information may be shared with")
    assert_accessible(page, "the consent form with errors")

    page.goto(f"/people/{sian.pk}/consents/{consent.pk}/withdraw")
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw consent")
    assert_accessible(page, "the withdrawal page")

    page.goto(f"/people/{sian.pk}/legal-bases/new")
    page.get_by_role("button", name="Record legal basis").click()
    expect_error(page, "Choose the legal basis")
    assert_accessible(page, "the legal basis form with errors")

    page.goto(f"/people/{sian.pk}/address-withholding")
    page.get_by_label("Withhold the address for the person's safety").check()
    page.get_by_role("button", name="Save").click()
    expect_error(page, "Name at least one worker who may see the address")
    assert_accessible(page, "the address withholding form with an error")

    page.goto(f"/people/{sian.pk}/access-log")
    expect(page.get_by_role("heading", level=1)).to_have_text("Who has seen this record")
    expect(page.get_by_role("region", name=re.compile(r"\d+ access"))).to_be_visible()
    assert_accessible(page, "the access log")


def test_emergency_access_and_its_review(page: Page, world: World) -> None:
    personas, sian = world.personas, world.sian
    make_break_glass(sian, user=personas.partner, organisation=personas.partner_org)
    sign_in(page, "outsider")

    page.get_by_role("link", name="Emergency access").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Emergency access")
    assert_accessible(page, "the emergency access form")
    page.get_by_label("Record number or identifier").fill("P-999999")
    page.get_by_role("button", name="Open the record").click()
    expect_error(page, "No person with that record number or identifier")
    assert_accessible(page, "the emergency access form with errors")

    page.get_by_label("Record number or identifier").fill(sian.reference)
    page.get_by_label("Immediate risk to life").check()
    page.get_by_label("Why do you need the record now?").fill(
        "Police at the door report an immediate risk to her life"
    )
    page.get_by_role("button", name="Open the record").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Siân Évans")
    expect(page.locator(".wa-break-glass")).to_contain_text("Emergency access")
    assert_accessible(page, "the record seen by emergency access")

    page.context.clear_cookies()
    sign_in(page, "privacy")
    page.get_by_role("link", name="Emergency access reviews").click()
    expect(page.get_by_role("heading", name="2 waiting for review")).to_be_visible()
    assert_accessible(page, "the review queue")
    page.get_by_role("button", name=re.compile("Save review of the access by")).first.click()
    expect_error(page, "Choose justified or not justified")
    assert_accessible(page, "the review queue with an error")


def test_trust_pages_fit_a_320px_screen(browser: Browser, live_server: Any, world: World) -> None:
    personas, sian = world.personas, world.sian
    make_consent(sian, organisation=personas.partner_org, categories=["identity", "health"])
    make_break_glass(sian, user=personas.partner, organisation=personas.partner_org)
    context = new_context(browser, live_server.url, viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        sign_in(page, "keyworker")
        for path in (
            f"/people/{sian.pk}/",
            f"/people/{sian.pk}/consents/new",
            f"/people/{sian.pk}/access-log",
            "/consent/emergency-access",
        ):
            page.goto(path)
            scroll_width, client_width = page_widths(page)
            assert scroll_width <= client_width + 1, f"{path} scrolls sideways at 320px"
        page.context.clear_cookies()
        sign_in(page, "privacy")
        page.goto("/consent/emergency-access/reviews")
        scroll_width, client_width = page_widths(page)
        assert scroll_width <= client_width + 1, "the review queue scrolls sideways at 320px"
    finally:
        context.close()
