"""The directory pages in a real browser: axe finds no WCAG 2.x A/AA violation, and the
search works with htmx and without JavaScript."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import Page, expect

from tests.browser import World, assert_accessible, sign_in
from wraparound.directory.demo import seed_directory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def services(world: World) -> list[object]:
    p = world.personas
    orgs = [p.one_stop, p.partner_org, p.outsider_org]
    return list(seed_directory(network=p.network, organisations=orgs, rng=random.Random(3)))


def test_directory_pages_are_accessible(page: Page, services: list[object]) -> None:
    sign_in(page, "keyworker")
    page.get_by_role("link", name="Services").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a service")
    assert_accessible(page, "the directory")

    page.get_by_label("Need").select_option("homelessness")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="2 services found")).to_be_visible()
    assert_accessible(page, "directory results")

    page.get_by_role("link", name="Homelessness prevention advice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Homelessness prevention advice")
    expect(page.get_by_role("heading", name="How to refer")).to_be_visible()
    assert_accessible(page, "a service page")


def test_directory_search_without_javascript(nojs_page: Page, services: list[object]) -> None:
    sign_in(nojs_page, "keyworker")
    nojs_page.goto("/directory/?q=legal")
    expect(nojs_page.get_by_role("link", name="Housing and debt legal advice")).to_be_visible()
