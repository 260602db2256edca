"""Whole journeys in a real browser: finding a person as the issue describes, registering
with the keyboard alone, and the pages working with JavaScript switched off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import World, assert_accessible, focused_matches, sign_in, tab_to
from tests.conftest import PASSWORD
from wraparound.cases.models import Case, CaseStatus
from wraparound.people.models import Person

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def test_find_a_person_by_name_and_open_their_record(page: Page, world: World) -> None:
    """The issue's journey: a key worker finds Siân Évans by typing her name in lower case
    without accents, opens her record, and the record passes axe."""
    sign_in(page, "keyworker")
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")

    page.get_by_role("link", name="Find a person").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a person")
    # Typing is enough: htmx fetches the results as the name is typed.
    page.get_by_label("Name").press_sequentially("sian evans", delay=20)
    results = page.locator("#results")
    # Only one: Sean Evanson does not match both words, and the other Siân Evans is
    # registered by an organisation whose records the key worker cannot see.
    expect(results.get_by_role("heading")).to_have_text("1 person found")
    expect(page).to_have_url(re.compile(r"/people/\?name=sian(\+|%20)evans"))
    expect(results.get_by_role("row")).to_have_count(2)

    results.get_by_role("link", name="Évans, Siân").click()
    expect(page).to_have_url(re.compile(rf"/people/{world.sian.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Siân Évans")
    expect(page).to_have_title("Siân Évans \N{EN DASH} Wraparound")
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    timeline = page.locator("ol.wa-timeline > li")
    expect(timeline).to_have_count(3)
    expect(timeline.last).to_contain_text("Registered Siân Évans")
    expect(timeline.first).to_contain_text(f"Case {world.case.reference} opened")
    expect(page.get_by_role("link", name=world.case.reference)).to_be_visible()
    assert_accessible(page, "Siân Évans's record")


def test_register_and_open_a_case_with_the_keyboard_alone(page: Page, world: World) -> None:
    keyboard = page.keyboard
    page.goto("/accounts/sign-in")
    tab_to(page, "#id_username")
    keyboard.type("keyworker")
    keyboard.press("Tab")
    keyboard.type(PASSWORD)
    keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")

    tab_to(page, ".govuk-service-navigation a[href='/people/new']")
    keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Register a person")

    tab_to(page, "#id_given_name")
    keyboard.type("Gwenllïan")
    keyboard.press("Tab")
    keyboard.type("Morgan-Prys")
    tab_to(page, "#id_date_of_birth_0")
    for part in ("14", "7", "1992"):
        keyboard.type(part)
        keyboard.press("Tab")
    # Into the sex radios: focus lands on the checked one ("Not known"); arrows move the choice.
    tab_to(page, "input[name=sex]:checked")
    for _ in range(3):
        keyboard.press("ArrowUp")
    assert focused_matches(page, "#id_sex_0:checked")  # Female
    tab_to(page, "input[name=preferred_languages][value=cy]")
    keyboard.press("Space")
    tab_to(page, "#id_interpreter_needed")
    keyboard.press("Space")
    tab_to(page, "#id_identifier_type")
    keyboard.press("ArrowDown")  # "No identifier" -> "NHS number"
    expect(page.locator("#id_identifier_type")).to_have_value("nhs_number")
    keyboard.press("Tab")
    keyboard.type("943 476 5919")
    tab_to(page, "#main-content form button[type=submit]")
    keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Gwenllïan Morgan-Prys")
    person = Person.objects.get(family_name="Morgan-Prys")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"Gwenllïan Morgan-Prys is registered as {person.reference}"
    )
    summary = page.locator("dl.govuk-summary-list").first
    expect(summary).to_contain_text("14 July 1992")
    expect(summary).to_contain_text("Female")
    expect(summary).to_contain_text("Welsh")
    expect(summary).to_contain_text("Needs an interpreter")
    expect(page.get_by_role("term").filter(has_text="NHS number")).to_be_visible()
    assert person.sex == "female"
    assert person.preferred_languages == ["cy"]
    assert [i.value.replace(" ", "") for i in person.identifiers.all()] == ["9434765919"]

    tab_to(page, f"a[href='/cases/open/{person.pk}']")
    keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a case")
    # No route is chosen yet, so Tab stops on the first radio; Space chooses it.
    tab_to(page, "#id_entry_route_0")
    keyboard.press("Space")
    expect(page.locator("#id_entry_route_0")).to_be_checked()
    expect(page.locator("#id_key_worker")).to_have_value(str(world.personas.keyworker.pk))
    tab_to(page, "#main-content form button[type=submit]")
    keyboard.press("Enter")

    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text(re.compile(r"Case C-\d+ opened"))
    case = Case.objects.get(person=person)
    expect(banner).to_contain_text(f"Case {case.reference} opened")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gwenllïan Morgan-Prys")
    row = page.locator(".wa-table-container").get_by_role("row").nth(1)
    expect(row).to_contain_text(case.reference)
    expect(row).to_contain_text(world.personas.keyworker.name)
    expect(row).to_contain_text("Open")
    assert case.status == CaseStatus.OPEN
    assert case.key_worker == world.personas.keyworker
    assert case.entry_route == "case_management"


def test_search_and_register_work_without_javascript(nojs_page: Page, world: World) -> None:
    page = nojs_page
    sign_in(page, "keyworker")
    expect(page.locator("body")).not_to_have_class(re.compile("js-enabled"))

    page.get_by_role("link", name="Find a person").click()
    page.get_by_label("Name").fill("SIAN evans")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/people/\?name=SIAN\+evans"))
    expect(page.locator("#results").get_by_role("heading")).to_have_text("1 person found")
    page.get_by_role("link", name="Évans, Siân").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Siân Évans")

    page.get_by_role("link", name="Register a person").click()
    page.get_by_role("button", name="Register").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter a given name")
    summary.get_by_role("link", name="Enter a given name").click()
    expect(page).to_have_url(re.compile("#id_given_name$"))

    page.get_by_label("Given name").fill("Aled")
    page.get_by_label("Family name").fill("Rowlands")
    page.locator("#id_date_of_birth_0").fill("2")
    page.locator("#id_date_of_birth_1").fill("11")
    page.locator("#id_date_of_birth_2").fill("1979")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aled Rowlands")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is registered as P-")
    expect(page.locator("dl.govuk-summary-list").first).to_contain_text("2 November 1979")
    assert Person.objects.filter(given_name="Aled", family_name="Rowlands").count() == 1
