"""The Content-Security-Policy (no inline script or style) holds on real pages: nothing is
blocked, nothing errors, and GOV.UK Frontend and htmx still work under it."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect

from tests.browser import World, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]

# Runs in every document before the page's own scripts: records each CSP violation.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(
    `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`
  );
});
"""


class Watch:
    """Console errors, uncaught exceptions and CSP violations on a page, as they happen."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            self.console.append(f"{message.type}: {message.text}")

    def assert_clean(self, what: str) -> None:
        violations: list[Any] = self.page.evaluate("() => window.__cspViolations || []")
        problems = violations + self.errors + self.console
        assert problems == [], f"On {what}: " + "; ".join(problems)


@pytest.fixture
def csp_page(context: BrowserContext) -> Page:
    context.add_init_script(RECORD_VIOLATIONS)
    return context.new_page()


def assert_frontend_initialised(page: Page) -> None:
    """GOV.UK Frontend's JavaScript ran: the body is marked and components are initialised."""
    expect(page.locator("body")).to_have_class(
        "govuk-template__body js-enabled govuk-frontend-supported"
    )
    expect(page.locator(".govuk-skip-link[data-govuk-skip-link-init]")).to_have_count(1)


def test_pages_run_under_the_policy_without_violations(csp_page: Page, world: World) -> None:
    page = csp_page
    watch = Watch(page)

    response = page.goto("/accounts/sign-in")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "camera=()" in response.headers["permissions-policy"]
    assert_frontend_initialised(page)
    watch.assert_clean("the sign-in page")

    sign_in(page, "keyworker")
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    watch.assert_clean("the caseload")

    # The search page, with htmx fetching results as the name is typed.
    page.get_by_role("link", name="Find a person").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a person")
    assert_frontend_initialised(page)
    page.get_by_label("Name").press_sequentially("sian evans", delay=20)
    results = page.locator("#results")
    expect(results.get_by_role("heading")).to_have_text("1 person found")
    # htmx added no <style> of its own (its indicator styles are switched off).
    assert page.evaluate("() => document.querySelectorAll('style').length") == 0
    watch.assert_clean("the search page")

    # A record, and the case page from it.
    results.get_by_role("link", name="Évans, Siân").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Siân Évans")
    assert_frontend_initialised(page)
    watch.assert_clean("Siân Évans's record")

    page.get_by_role("link", name=world.case.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(world.case.reference)
    watch.assert_clean("the case page")

    # Signing out is a button styled as a link by a class, not a style attribute.
    sign_out = page.get_by_role("button", name="Sign out")
    assert sign_out.get_attribute("style") is None
    assert sign_out.evaluate("b => getComputedStyle(b).backgroundColor") == "rgba(0, 0, 0, 0)"
    sign_out.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Wraparound")
    watch.assert_clean("signing out")


def test_a_blocked_inline_script_would_be_caught(csp_page: Page, world: World) -> None:
    """The check above can fail: an inline script added to a page is reported."""
    page = csp_page
    page.goto("/accounts/sign-in")
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.__ran = true'; document.body.append(s); }"""
    )
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert page.evaluate("() => window.__ran") is None
    assert "script-src" in page.evaluate("() => window.__cspViolations[0]")


def test_two_factor_set_up_runs_under_the_policy(
    csp_page: Page, world: World, settings: Any
) -> None:
    """The set-up page's QR code is inline SVG drawn with attributes, not styles or images
    from elsewhere; the whole first sign-in works with the policy on."""
    settings.WRAPAROUND_REQUIRE_2FA = True
    page = csp_page
    watch = Watch(page)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    sign_in(page, "keyworker")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    qr = page.get_by_role("img", name="Scan this QR code with the app:")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None and box["width"] > 100
    assert_frontend_initialised(page)
    watch.assert_clean("the two-factor set-up page")
    assert all(url.startswith(page.url.split("/accounts")[0]) for url in requests)

    device = TOTPDevice.objects.get(user=world.personas.keyworker)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    page.get_by_label("Security code").fill(f"{totp.token():06d}")
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    watch.assert_clean("the caseload after two-factor set-up")
