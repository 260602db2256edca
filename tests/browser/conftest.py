"""Real-browser fixtures: Debian's Chromium driven by Playwright's sync API against
pytest-django's live server.

One browser per test session (per xdist worker; every browser test sits in the xdist group
"browser", so one worker runs them all), a fresh context and page per test. The tests fail,
never skip, when Chromium is missing: ``make test`` installs it (scripts/ensure_browser_deps.py).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests import factories as f
from tests.browser import World, new_context
from tests.conftest import Personas
from wraparound.cases import services as case_services
from wraparound.people import services
from wraparound.people.services import MemberInput, PersonDetails

# Playwright's sync API runs an event loop in the test thread, which makes Django's
# async-unsafe guard refuse the ORM calls that fixtures and factories make in that thread.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser tests need Debian's Chromium at {CHROMIUM}, which is missing. "
            "Install it with `sudo apt-get install chromium` (or run `make test`, which does); "
            "Playwright's own browser downloads are not used.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        except Exception as exc:  # a broken install: say so plainly
            pytest.fail(f"Chromium at {CHROMIUM} would not start: {exc}", pytrace=False)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser, live_server: Any) -> Iterator[BrowserContext]:
    context = new_context(browser, live_server.url)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def nojs_page(browser: Browser, live_server: Any) -> Iterator[Page]:
    """A page in a context with JavaScript switched off: the pages must work without it."""
    context = new_context(browser, live_server.url, java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.fixture
def world(personas: Personas) -> World:
    actor = personas.actor(personas.keyworker)
    sian = services.person_create(
        actor=actor,
        details=PersonDetails(
            given_name="Siân",
            family_name="Évans",
            date_of_birth=dt.date(1985, 3, 27),
            sex="female",
            postcode="CF37 1AA",
            town="Pontypridd",
            address_line_1="12 Heol y Nant",
        ),
        identifiers=[("local_authority", "RCT0012345", "Rhondda Cynon Taf Council")],
    )
    child = services.person_create(
        actor=actor,
        details=PersonDetails(
            given_name="Cerys", family_name="Évans", date_of_birth=dt.date(2014, 6, 1)
        ),
    )
    services.household_save(
        actor=actor,
        name="Évans",
        members=[MemberInput(sian, "head"), MemberInput(child, "child")],
    )
    for given, family in [("Sean", "Evanson"), ("Dafydd", "Jones"), ("Mair", "Pritchard")]:
        f.PersonFactory(
            network=personas.network,
            registered_by=personas.one_stop,
            given_name=given,
            family_name=family,
        )
    # Shared with no one at the one-stop centre: the key worker must never find her.
    f.PersonFactory(
        network=personas.network,
        registered_by=personas.partner_org,
        given_name="Siân",
        family_name="Evans",
    )
    case = case_services.case_open(
        actor=actor,
        person=sian,
        entry_route="case_management",
        key_worker=personas.keyworker,
    )
    return World(personas=personas, sian=sian, child=child, case=case)
