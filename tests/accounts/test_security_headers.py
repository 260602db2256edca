"""Security headers on every page: a Content-Security-Policy without inline script or style,
a Permissions-Policy switching powerful features off, and the rest Django sets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import wraparound
from tests.conftest import Personas

pytestmark = pytest.mark.django_db

SRC = Path(wraparound.__file__).parent


def directives(header: str) -> dict[str, str]:
    parts = (part.strip().partition(" ") for part in header.split(";") if part.strip())
    return {name: value for name, _, value in parts}


def test_content_security_policy(personas: Personas) -> None:
    response = personas.client(personas.keyworker).get("/")
    policy = directives(response["Content-Security-Policy"])
    assert policy == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
        "base-uri": "'self'",
        "object-src": "'none'",
    }


def test_permissions_policy_and_the_others(client: Client) -> None:
    response = client.get("/accounts/sign-in")
    features = dict(
        item.split("=", 1) for item in response["Permissions-Policy"].replace(" ", "").split(",")
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial"):
        assert features[feature] == "()"
    assert set(features.values()) == {"()"}
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in client.get("/healthz")


def test_no_template_has_inline_script_or_style() -> None:
    """What the policy would block: inline <script> and <style>, style="..." and on*=
    handlers. (A JSON <script type="application/json"> data block is fine.)"""
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>|<style\b|\sstyle=|\son[a-z]+=",
        re.IGNORECASE,
    )
    found = [
        f"{path.relative_to(SRC)}: {match.group(0)}"
        for path in SRC.glob("**/templates/**/*.html")
        for match in inline.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []
