"""At 320 CSS pixels wide (WCAG 1.4.10 reflow) the pages fit the screen: no sideways
scrolling of the page; a wide table scrolls inside its own focusable, named box."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import World, assert_accessible, new_context, page_widths, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]

WIDTH = 320
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def small_page(browser: Browser, live_server: Any) -> Iterator[Page]:
    context = new_context(browser, live_server.url, viewport={"width": WIDTH, "height": 640})
    yield context.new_page()
    context.close()


def check_fits(page: Page, name: str, shots: Path) -> None:
    scroll_width, client_width = page_widths(page)
    path = shots / f"{name}-{WIDTH}.png"
    page.screenshot(path=str(path), full_page=True)
    assert client_width == WIDTH
    assert scroll_width <= WIDTH + 1, (
        f"The {name} page scrolls sideways at {WIDTH}px: it is {scroll_width}px wide "
        f"(screenshot: {path})"
    )
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000, f"{path} is not a PNG"


def test_search_results_and_record_fit_a_320px_screen(
    small_page: Page, world: World, tmp_path: Path
) -> None:
    page = small_page
    sign_in(page, "keyworker")

    page.goto("/people/?name=evans")
    expect(page.locator("#results").get_by_role("heading")).to_have_text("3 people found")
    check_fits(page, "search-results", tmp_path)
    # The table is wider than the screen, so it scrolls in its own box, which a keyboard
    # user can reach and which is named by the table's caption.
    table_box = page.get_by_role("region", name="Search results")
    expect(table_box).to_have_attribute("tabindex", "0")
    assert table_box.evaluate("(el) => el.scrollWidth > el.clientWidth")
    assert_accessible(page, f"search results at {WIDTH}px")

    page.get_by_role("link", name="Évans, Siân").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Siân Évans")
    check_fits(page, "record", tmp_path)
    assert_accessible(page, f"the record at {WIDTH}px")

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    check_fits(page, "caseload", tmp_path)

    # The service navigation collapses behind a Menu button that opens it.
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("link", name="Find a person")).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="Find a person")).to_be_visible()
