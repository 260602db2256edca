"""Real-browser tests (Playwright + Debian Chromium) and the helpers they share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import PASSWORD, Personas
from wraparound.cases.models import Case
from wraparound.people.models import Person

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
TIMEOUT_MS = 10_000


@dataclass
class World:
    """A small network as the key worker sees it: Siân Évans, head of a household of two, with
    an identifier and an open case the key worker leads, and others for the search to sift."""

    personas: Personas
    sian: Person
    child: Person
    case: Case


def new_context(browser: Browser, base_url: str, **options: Any) -> BrowserContext:
    context = browser.new_context(base_url=base_url, locale="en-GB", **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real form and land on the caseload."""
    page.goto("/accounts/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/sign-in" not in url)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.x A and AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated, not added as a <script> tag: the Content-Security-Policy (rightly)
        # refuses inline scripts, and evaluation from the test is not subject to it.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(' ')),
            }));
        }""",
        AXE_TAGS,
    )


def assert_accessible(page: Page, what: str = "") -> None:
    page.wait_for_load_state("load")
    try:
        violations = axe_violations(page)
    except PlaywrightError:
        # A click's navigation replaced the document while axe ran (seen once in CI):
        # check the page that arrived.
        page.wait_for_load_state("load")
        violations = axe_violations(page)
    if violations:
        lines = [f"axe found {len(violations)} WCAG 2.x A/AA violation(s) on {what or page.url}:"]
        for v in violations:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
            lines.extend(f"    {target}" for target in v["targets"][:10])
        pytest.fail("\n".join(lines), pytrace=False)


def page_widths(page: Page) -> tuple[int, int]:
    """(scrollWidth, viewport width) of the document."""
    return page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )


def focused_matches(page: Page, selector: str) -> bool:
    return page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector)


def assert_focus_visible(page: Page) -> None:
    """The focused element shows the design system's yellow focus state (WCAG 2.4.7)."""
    style = page.evaluate(
        """() => {
            const el = document.activeElement;
            // Radios and checkboxes draw their focus ring on the label's ::before.
            const s = el.matches('.govuk-radios__input, .govuk-checkboxes__input')
                ? getComputedStyle(el.nextElementSibling, '::before')
                : getComputedStyle(el);
            return [s.outlineStyle + ' ' + s.outlineColor, s.boxShadow, s.backgroundColor,
                    s.borderColor].join(' | ');
        }"""
    )
    described = page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
    assert "rgb(255, 221, 0)" in style, f"No visible focus on {described}: {style}"


def tab_to(page: Page, selector: str, *, limit: int = 120) -> None:
    """Press Tab until the element matching the CSS selector has focus, as a keyboard user
    would; fail if it is never reached. Check the focus is visible when it gets there."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_matches(page, selector):
            assert_focus_visible(page)
            return
    pytest.fail(f"Pressing Tab {limit} times never reached {selector} on {page.url}")
