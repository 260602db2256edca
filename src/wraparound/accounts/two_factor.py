"""Two-factor authentication with a TOTP authenticator app (django-otp).

After the password, a member of staff either sets up an app (the first time: a secret shown
as a QR code and as text, confirmed with a code) or types the app's current code. Until then
``TwoFactorRequiredMiddleware`` sends every staff page to one of those two pages. Codes are
single-use (django-otp refuses a code at or before the last one accepted) and wrong codes
slow the next attempt down exponentially (1, 2, 4, 8 ... seconds).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import User
from wraparound.audit.services import audit_record

DEVICE_NAME = "Authenticator app"
WRONG_CODE = (
    "The security code is not right. Enter the newest code your app shows, "
    "and check the time on your phone is set automatically."
)


def two_factor_required() -> bool:
    return bool(settings.WRAPAROUND_REQUIRE_2FA)


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def setup_device(user: User) -> TOTPDevice:
    """The user's device waiting to be confirmed, made on first use and kept (so reloading the
    set-up page does not change a secret the app has already scanned)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The secret as people type it into an app: base32, in groups of four."""
    raw = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_code_svg(device: TOTPDevice, *, label_id: str) -> SafeString:
    """The otpauth:// address as an inline SVG QR code, drawn here: no request leaves the
    site and no inline style is used (segno draws with presentation attributes)."""
    code = segno.make(device.config_url, error="m")
    svg = code.svg_inline(scale=4, border=4, dark="#0b0c0c", light="#ffffff", svgclass="wa-qr")
    # segno's markup holds only path data (the address is drawn as modules, not written).
    labelled = svg.replace("<svg ", f'<svg role="img" aria-labelledby="{label_id}" ', 1)
    return mark_safe(labelled)  # noqa: S308


@dataclass(frozen=True)
class CodeResult:
    ok: bool
    error: str = ""


def _wait_message(locked_until: datetime | None) -> str:
    seconds = 1
    if locked_until is not None:
        seconds = max(1, int((locked_until - timezone.now()).total_seconds() + 0.999))
    unit = "second" if seconds == 1 else "seconds"
    return f"Too many wrong codes. Wait {seconds} {unit}, then try again."


def _check(device: TOTPDevice, code: str) -> CodeResult:
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, details = device.verify_is_allowed()
        if not allowed:
            return CodeResult(False, _wait_message((details or {}).get("locked_until")))
        if device.verify_token(code):
            return CodeResult(True)
    return CodeResult(False, WRONG_CODE)


def two_factor_confirm(
    *, actor: Actor, request: HttpRequest, device: TOTPDevice, code: str
) -> CodeResult:
    """Confirm a new device with its first code; the session counts as verified."""
    result = _check(device, code)
    if not result.ok:
        return result
    with transaction.atomic():
        device.refresh_from_db()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # One app per person: older unconfirmed attempts are dropped.
        TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
        audit_record(
            actor=actor,
            action="account.two_factor_setup",
            target=device,
            summary=f"Two-factor authentication set up for {device.user.username}",
        )
    _verified(request, device)
    return result


def two_factor_verify(*, request: HttpRequest, device: TOTPDevice, code: str) -> CodeResult:
    result = _check(device, code)
    if result.ok:
        device.refresh_from_db()
        _verified(request, device)
    return result


def _verified(request: HttpRequest, device: TOTPDevice) -> None:
    # A new session key once the second factor is in, like Django does after the password.
    request.session.cycle_key()
    otp_login(request, device)


def two_factor_reset(*, actor: Actor, user: User) -> int:
    """Forget a user's authenticator app (a lost phone): they set one up at next sign-in.
    Returns how many devices were removed."""
    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        audit_record(
            actor=actor,
            action="account.two_factor_reset",
            target=user,
            summary=f"Two-factor authentication reset for {user.username}",
        )
    return removed
