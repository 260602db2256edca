"""Two-factor authentication (TOTP): set up on first sign-in, a code on every later one, and
no staff page until then, when WRAPAROUND_REQUIRE_2FA is on."""

from __future__ import annotations

import time
from io import StringIO
from urllib.parse import quote

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD, Personas
from wraparound.accounts.models import User
from wraparound.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

require_2fa = override_settings(WRAPAROUND_REQUIRE_2FA=True)
SETUP = "/accounts/two-factor/set-up"
VERIFY = "/accounts/two-factor/verify"


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the user's app shows now (or ``steps_ahead`` 30-second steps later)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def confirmed_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@require_2fa
def test_staff_pages_send_a_user_without_an_app_to_set_one_up(personas: Personas) -> None:
    client = signed_in(personas.keyworker)
    for path in ["/", "/people/", "/people/new", "/admin/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == f"{SETUP}?next={quote(path, safe='')}"


@require_2fa
def test_set_up_shows_the_secret_and_an_inline_qr_code(personas: Personas) -> None:
    client = signed_in(personas.keyworker)
    response = client.get(SETUP + "?next=/people/")
    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=personas.keyworker)
    assert not device.confirmed
    html = response.content.decode()
    secret = response.context["secret"]
    assert secret.replace(" ", "") in html.replace(" ", "")
    assert len(secret.replace(" ", "")) == 32  # 20 random bytes in base32
    assert '<svg role="img" aria-labelledby="qr-code-label"' in html
    assert "<img" not in html and "style=" not in html
    assert "otpauth://" not in html  # drawn, not linked: no request leaves the page
    # Reloading keeps the same secret (the app may have scanned it already).
    assert client.get(SETUP).context["secret"] == secret
    assert TOTPDevice.objects.filter(user=personas.keyworker).count() == 1


@require_2fa
def test_a_wrong_code_is_refused_and_the_right_one_confirms_the_app(personas: Personas) -> None:
    client = signed_in(personas.keyworker)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=personas.keyworker)
    right = code_for(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = client.post(SETUP, {"code": wrong, "next": "/people/"})
    assert response.status_code == 200
    assert "The security code is not right" in response.content.decode()
    assert response.context["form"].errors["code"]
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/").status_code == 302  # still not through

    response = client.post(SETUP, {"code": "12345", "next": "/people/"})
    assert "The security code must be 6 numbers" in response.content.decode()

    # Wrong codes slow the next try down (1, 2, 4 ... seconds): wait the second out.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    response = client.post(SETUP, {"code": right[:3] + " " + right[3:], "next": "/people/"})
    assert response.status_code == 302
    assert response["Location"] == "/people/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="account.two_factor_setup").count() == 1


@require_2fa
def test_wrong_codes_in_a_row_are_throttled(personas: Personas) -> None:
    device = confirmed_device(personas.keyworker)
    client = signed_in(personas.keyworker)
    right = code_for(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    client.post(VERIFY, {"code": wrong})
    response = client.post(VERIFY, {"code": right})  # straight after: too soon
    assert "Too many wrong codes. Wait" in response.content.decode()
    assert client.get("/").status_code == 302


@require_2fa
def test_a_user_with_an_app_enters_a_code_on_each_sign_in(personas: Personas) -> None:
    device = confirmed_device(personas.keyworker)
    client = Client()
    response = client.post(
        "/accounts/sign-in?next=/people/",
        {"username": "keyworker", "password": PASSWORD, "next": "/people/"},
    )
    assert response.status_code == 302 and response["Location"] == "/people/"
    response = client.get("/people/")
    assert response["Location"] == f"{VERIFY}?next=%2Fpeople%2F"
    # The set-up page will not add a second app from a session that is not verified.
    response = client.get(SETUP + "?next=/people/")
    assert response["Location"] == f"{VERIFY}?next=%2Fpeople%2F"

    response = client.post(VERIFY, {"code": "000000", "next": "/people/"})
    assert response.status_code == 200
    assert "The security code is not right" in response.content.decode()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)

    session_before = client.session.session_key
    response = client.post(VERIFY, {"code": code_for(device), "next": "/people/"})
    assert response.status_code == 302 and response["Location"] == "/people/"
    assert client.session.session_key != session_before  # a new session key once verified
    assert client.get("/people/").status_code == 200
    assert client.session[SESSION_KEY] == str(personas.keyworker.pk)


@require_2fa
def test_a_code_works_only_once(personas: Personas) -> None:
    device = confirmed_device(personas.keyworker)
    code = code_for(device)
    first, second = signed_in(personas.keyworker), signed_in(personas.keyworker)
    assert first.post(VERIFY, {"code": code})["Location"] == "/"
    response = second.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert second.get("/").status_code == 302


@require_2fa
def test_next_must_stay_on_this_site(personas: Personas) -> None:
    device = confirmed_device(personas.keyworker)
    client = signed_in(personas.keyworker)
    response = client.post(VERIFY, {"code": code_for(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


@require_2fa
def test_pages_open_before_the_second_factor(personas: Personas, client: Client) -> None:
    client.force_login(personas.keyworker)
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/sign-in").status_code == 302  # signed in: on to the caseload
    assert client.get("/static/wraparound/app.css").status_code == 200
    # The API answers for itself (bearer tokens), with no redirect to a page.
    response = client.get("/api/v1/organisations")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    # Signing out works.
    assert client.post("/accounts/sign-out").status_code == 302
    assert SESSION_KEY not in client.session


@require_2fa
def test_htmx_requests_are_told_to_navigate(personas: Personas) -> None:
    client = signed_in(personas.keyworker)
    response = client.get(
        "/people/?name=sian",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/people/?name=si"},
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{SETUP}?next=%2Fpeople%2F%3Fname%3Dsi"


@require_2fa
def test_a_post_is_not_replayed_after_the_code(personas: Personas) -> None:
    confirmed_device(personas.keyworker)
    client = signed_in(personas.keyworker)
    response = client.post("/people/new", {"given_name": "X"})
    assert response["Location"] == VERIFY


def test_off_by_default_in_test_and_demo(personas: Personas) -> None:
    client = signed_in(personas.keyworker)
    assert client.get("/").status_code == 200


@require_2fa
def test_a_lost_phone_is_reset_from_the_command_line(personas: Personas) -> None:
    confirmed_device(personas.keyworker)
    out = StringIO()
    call_command("reset_two_factor", "keyworker", stdout=out)
    assert "reset for keyworker (1 app(s) forgotten)" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=personas.keyworker).exists()
    assert AuditEvent.objects.filter(action="account.two_factor_reset").count() == 1
    response = signed_in(personas.keyworker).get("/")
    assert response["Location"].startswith(SETUP)
    with pytest.raises(CommandError, match="No user"):
        call_command("reset_two_factor", "nobody")
