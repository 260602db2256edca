"""axe-core finds no WCAG 2.x A or AA violation on the staff pages, with and without errors
on their forms."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import World, assert_accessible, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def expect_error_summary(page: Page, *messages: str) -> None:
    """The summary is shown, has focus (GOV.UK Frontend moves it there), and each message
    links to a field on the page."""
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: "))
    for message in messages:
        link = summary.get_by_role("link", name=message)
        expect(link).to_be_visible()
        target = link.get_attribute("href")
        assert target and target.startswith("#")
        expect(page.locator(target)).to_have_count(1)


def test_sign_in_page(page: Page, world: World) -> None:
    page.goto("/accounts/sign-in")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Wraparound")
    assert_accessible(page, "the sign-in page")

    page.get_by_label("Username").fill("keyworker")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter a correct username and password")
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    assert_accessible(page, "the sign-in page with an error")


def test_staff_pages(page: Page, world: World) -> None:
    sian = world.sian
    sign_in(page, "keyworker")

    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    expect(page.get_by_role("link", name="Siân Évans")).to_be_visible()
    assert_accessible(page, "the caseload")

    page.goto("/people/?name=evans")
    expect(page.get_by_role("heading", name="3 people found")).to_be_visible()
    assert_accessible(page, "search results")

    page.goto(f"/people/{sian.pk}/household")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change household")
    assert_accessible(page, "the household form")

    page.goto(f"/cases/open/{sian.pk}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a case")
    assert_accessible(page, "the open-case form")

    page.goto(f"/cases/{world.case.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(world.case.reference)
    assert_accessible(page, "the case page")

    page.get_by_role("link", name="Close case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close the case")
    page.get_by_role("button", name="Close case").click()
    expect_error_summary(page, "Choose why the case is closing")
    assert_accessible(page, "the close-case form with an error")


def test_register_form(page: Page, world: World) -> None:
    sign_in(page, "keyworker")
    page.goto("/people/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Register a person")
    assert_accessible(page, "the empty register form")

    page.locator("#id_date_of_birth_0").fill("31")
    page.locator("#id_date_of_birth_1").fill("2")
    page.locator("#id_date_of_birth_2").fill("1990")
    page.get_by_role("button", name="Register").click()
    expect_error_summary(page, "Enter a given name", "Enter a family name")
    expect(page.locator("#id_given_name")).to_have_attribute(
        "aria-describedby", re.compile("id_given_name-error")
    )
    # Following a link in the summary puts the cursor in the field.
    page.locator(".govuk-error-summary").get_by_role("link", name="Enter a given name").click()
    expect(page.locator("#id_given_name")).to_be_focused()
    assert_accessible(page, "the register form with errors")
