"""Validation and normalisation shared by forms, the API and the services.

Each validator raises ``ValidationError`` with a message a worker can act on.
"""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from unidecode import unidecode

from wraparound.people.choices import IdentifierType

MAX_AGE_YEARS = 120
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case ASCII with accents removed: 'Siân Ó Briain' -> 'sian o briain'."""
    return unidecode(text or "").lower().strip()


def name_tokens(*names: str) -> set[str]:
    """Search tokens for a set of names: each word folded, whole and split at punctuation.

    "O'Brien-Smith" gives {"obriensmith", "o", "brien", "smith"}, so a search for
    "obrien", "o'brien" or "smith" finds it.
    """
    tokens: set[str] = set()
    for name in names:
        for word in fold(name).split():
            joined = _NON_ALNUM.sub("", word)
            if joined:
                tokens.add(joined[:100])
            tokens.update(part[:100] for part in _NON_ALNUM.split(word) if part)
    return tokens


def query_tokens(query: str) -> list[str]:
    """The words of a search query, folded the same way (punctuation inside a word dropped)."""
    words = (_NON_ALNUM.sub("", word) for word in fold(query).split())
    return sorted({w for w in words if w}, key=len, reverse=True)


def sort_name(given_name: str, family_name: str) -> str:
    return f"{fold(family_name)} {fold(given_name)}"[:210]


def validate_birth_date(value: date | None, *, today: date | None = None) -> None:
    if value is None:
        return
    today = today or timezone.localdate()
    if value > today:
        raise ValidationError("Date of birth must be today or in the past", code="future")
    try:
        earliest = today.replace(year=today.year - MAX_AGE_YEARS)
    except ValueError:  # 29 February
        earliest = today.replace(year=today.year - MAX_AGE_YEARS, day=28)
    if value < earliest:
        raise ValidationError(
            f"Date of birth must be less than {MAX_AGE_YEARS} years ago", code="too_old"
        )


def normalise_phone(raw: str, *, region: str | None = None) -> str:
    """A phone number in E.164 form, or a ValidationError saying why it is not one."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    region = region or settings.WRAPAROUND_DEFAULT_PHONE_REGION
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            "Enter a phone number, like 029 2018 0123, 07400 123 456 or +44 808 157 0192",
            code="unparseable",
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            "Enter a real phone number: this one has the wrong number of digits for its area",
            code="invalid",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    region = settings.WRAPAROUND_DEFAULT_PHONE_REGION
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


_NINO = re.compile(r"^(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$")


def _nhs_number_is_valid(digits: str) -> bool:
    if not re.fullmatch(r"\d{10}", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def normalise_identifier(identifier_type: str, raw: str) -> str:
    """The stored form of an identifier value (no spaces, upper case), checked for its type."""
    value = re.sub(r"[\s-]+", "", raw or "").upper()
    if not value:
        raise ValidationError("Enter the identifier", code="required")
    if len(value) > 60:
        raise ValidationError("Identifier must be 60 characters or fewer", code="max_length")
    if identifier_type == IdentifierType.NHS_NUMBER and not _nhs_number_is_valid(value):
        raise ValidationError(
            "Enter a valid NHS number: 10 digits whose last digit is the check digit",
            code="nhs_number",
        )
    if identifier_type == IdentifierType.NATIONAL_INSURANCE and not _NINO.match(value):
        raise ValidationError(
            "Enter a National Insurance number in the right format, like AB 12 34 56 C",
            code="national_insurance",
        )
    if identifier_type not in IdentifierType.values:
        raise ValidationError(f"Unknown identifier type {identifier_type!r}", code="type")
    return value
