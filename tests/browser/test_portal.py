"""The citizen portal in a real browser: axe finds no WCAG 2.x A/AA violation on any portal
page (in English and Welsh); a keyboard-only journey checks, applies, uploads and submits;
the pages fit a 320px screen."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from tests.browser import World, assert_accessible, new_context, page_widths, tab_to
from tests.conftest import PASSWORD
from tests.plans.factories import CarePlanFactory, GoalFactory, PlanActionFactory
from tests.portal.factories import appointment_for
from wraparound.applications.models import Application
from wraparound.directory.demo import seed_directory
from wraparound.documents.models import Document
from wraparound.eligibility.demo import seed_eligibility
from wraparound.plans.models import CarePlanStatus
from wraparound.portal.demo import _application_and_messages
from wraparound.portal.models import CitizenAccount, LinkMethod

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]

EMAIL = "sian@example.org"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def citizen(world: World, settings: Any, tmp_path: Path) -> CitizenAccount:
    settings.MEDIA_ROOT = tmp_path
    p = world.personas
    rng = random.Random(8)
    services = seed_directory(network=p.network, organisations=[p.one_stop, p.partner_org], rng=rng)
    seed_eligibility(network=p.network, services=services, rng=rng)
    plan = CarePlanFactory(
        case=world.case,
        status=CarePlanStatus.AGREED,
        agreed_on=timezone.localdate() - dt.timedelta(days=7),
        agreement_method="in_person",
        summary="A safe home and steady money",
    )
    goal = GoalFactory(plan=plan, need__assessment__person=world.sian, what="A settled home")
    PlanActionFactory(goal=goal, description="Bring proof of income", owner="person")
    PlanActionFactory(goal=goal, description="Call the landlord", owner="key_worker")
    appointment_for(world.sian, p.one_stop, p.keyworker, days=2, purpose="Plan review")
    account = CitizenAccount(
        network=p.network,
        email=EMAIL,
        person=world.sian,
        link_method=LinkMethod.WORKER,
        linked_by=p.keyworker,
        linked_at=timezone.now(),
    )
    account.set_password(PASSWORD)
    account.save()
    _application_and_messages(account, world.sian, world.case)
    return account


def portal_sign_in(page: Page) -> None:
    page.goto("/portal/sign-in/password/")
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/home/")


def visit(page: Page, url: str, what: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, (url, response and response.status)
    assert_accessible(page, what)


def walk_the_check(page: Page) -> int:
    """Answer nothing (skip every question): each page must still be accessible."""
    page.goto("/portal/check/")
    page.get_by_role("button", name="Start now").or_(
        page.get_by_role("link", name="Start now")
    ).click()
    count = 0
    while "/check/questions/" in page.url:
        assert_accessible(page, f"check question {page.url}")
        page.get_by_role("button", name="Continue").click()
        count += 1
    return count


def test_anonymous_pages(page: Page, citizen: CitizenAccount) -> None:
    visit(page, "/portal/", "the portal's start page")
    visit(page, "/portal/check/", "the check's start")
    assert walk_the_check(page) > 0
    assert_accessible(page, "check your answers")
    page.get_by_role("link", name="See what you could get").click()
    assert_accessible(page, "the check's results")
    page.locator("details summary").first.click()
    assert_accessible(page, "the results with reasons open")
    visit(page, "/portal/sign-in/", "sign in")
    page.get_by_role("button", name="Send me a code").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page, "sign in with an error")
    page.get_by_label("E-mail address").fill("someone.new@example.org")
    page.get_by_role("button", name="Send me a code").click()
    assert_accessible(page, "enter the code")
    visit(page, "/portal/sign-in/password/", "sign in with a password")
    visit(page, "/portal/sign-in/link/nonsense/", "a magic link")


def test_signed_in_pages(page: Page, citizen: CitizenAccount) -> None:
    portal_sign_in(page)
    assert_accessible(page, "the dashboard")
    for url, what in [
        ("/portal/plan/", "my plan"),
        ("/portal/appointments/", "appointments"),
        ("/portal/applications/", "applications"),
        ("/portal/applications/choose/", "choose what to apply for"),
        ("/portal/documents/", "documents"),
        ("/portal/messages/", "messages"),
        ("/portal/messages/new/", "a new message"),
        ("/portal/my-data/", "my data"),
        ("/portal/my-data/who-looked/", "who looked at my record"),
        ("/portal/account/", "my account"),
        ("/portal/switch/", "whose record"),
    ]:
        visit(page, url, what)
    page.goto("/portal/plan/")
    page.get_by_role("link", name="Mark done or add a note").first.click()
    assert_accessible(page, "updating a step")
    page.goto("/portal/appointments/")
    page.get_by_role("link", name="Change or cancel").first.click()
    page.get_by_role("button", name="Send to the agency").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page, "the change request with an error")
    page.goto("/portal/messages/")
    page.locator(".wa-portal-card a").first.click()
    assert_accessible(page, "a conversation")
    application = Application.objects.order_by("id").first()
    assert application is not None
    visit(page, f"/portal/applications/sent/{application.pk}/", "an application")
    page.goto("/portal/documents/")
    page.get_by_role("button", name="Send").click()
    assert_accessible(page, "the upload form with errors")
    # Welsh, chosen with the switcher.
    page.get_by_role("link", name="Cymraeg").click()
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    assert_accessible(page, "documents in Welsh")
    visit(page, "/portal/home/", "the dashboard in Welsh")
    visit(page, "/portal/my-data/", "my data in Welsh")


def test_keyboard_only_journey_check_apply_upload_submit(
    page: Page, citizen: CitizenAccount
) -> None:
    """Tab, Space, Enter and typing only: no mouse from signing in to sending."""
    before = Application.objects.count()
    page.goto("/portal/sign-in/password/")
    tab_to(page, "#id_email")
    page.keyboard.type(EMAIL)
    tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/portal/home/")
    # Check.
    page.goto("/portal/check/")
    press_enter_on(page, "a.govuk-button--start")
    while "/check/questions/" in page.url:
        if page.locator("#id_age").count():
            tab_to(page, "#id_age")
            page.keyboard.type("40")
        press_enter_on(page, "form button.govuk-button")
    press_enter_on(page, "a[href$='/check/results/']")
    # Apply for everything likely, at once (the results page's first button).
    press_enter_on(page, "form[action*='/portal/applications/start/'] button")
    while "/questions/" in page.url:
        press_enter_on(page, "form button.govuk-button")
    assert "/check/" in page.url  # check your answers before sending
    draft_check = page.url
    # Upload a proof, by keyboard: the file input is reached with Tab. Choosing the file
    # happens in the operating system's dialog, outside the page, so the test hands the
    # file to the focused input (headless Chromium does not always raise the chooser event
    # for a key press, which made this step flaky).
    page.goto("/portal/documents/")
    tab_to(page, "#id_kind")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    tab_to(page, "#id_file")
    page.locator("#id_file:focus").set_input_files(
        {"name": "payslip.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    press_enter_on(page, "form[enctype] button.govuk-button")
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    assert Document.objects.filter(original_name="payslip.pdf").exists()
    # Submit the application.
    page.goto(draft_check)
    press_enter_on(page, "form button.govuk-button")
    assert page.url.endswith("/portal/applications/")
    assert Application.objects.count() > before


def press_enter_on(page: Page, selector: str) -> None:
    """Tab to a button, press Enter and wait for the next page."""
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.fixture
def small_page(browser: Browser, live_server: Any) -> Iterator[Page]:
    context = new_context(browser, live_server.url, viewport={"width": 320, "height": 640})
    yield context.new_page()
    context.close()


def test_portal_pages_fit_a_320px_screen(
    small_page: Page, citizen: CitizenAccount, tmp_path: Path
) -> None:
    page = small_page
    for url in ["/portal/", "/portal/check/"]:
        page.goto(url)
        fits(page, url, tmp_path)
    portal_sign_in(page)
    for url in [
        "/portal/home/",
        "/portal/plan/",
        "/portal/appointments/",
        "/portal/applications/",
        "/portal/documents/",
        "/portal/messages/",
        "/portal/my-data/",
        "/portal/account/",
    ]:
        page.goto(url)
        fits(page, url, tmp_path)
        assert_accessible(page, f"{url} at 320px")


def fits(page: Page, url: str, shots: Path) -> None:
    scroll_width, client_width = page_widths(page)
    path = shots / (url.strip("/").replace("/", "-") + "-320.png")
    page.screenshot(path=str(path), full_page=True)
    assert client_width == 320
    assert scroll_width <= 321, f"{url} scrolls sideways at 320px ({scroll_width}px, see {path})"
    assert path.read_bytes().startswith(b"\x89PNG")
