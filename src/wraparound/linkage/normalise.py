"""Normalising identity fields the same way for bulk linkage (Splink) and in-process scoring.

Every function is pure and cheap; the bulk path applies them column-wise with pandas.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

from nicknames import NickNamer

_NOT_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
_NICKNAMES = NickNamer()
# Transliteration of letters NFKD does not decompose.
_TRANSLIT = str.maketrans(
    {"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "þ": "th", "œ": "oe"}
)


@lru_cache(maxsize=200_000)
def fold(text: str | None) -> str:
    """Lower case, no accents, letters, digits, single spaces: " Siân O'Neil " -> "sian oneil"."""
    if not text:
        return ""
    lowered = unicodedata.normalize("NFKD", text.lower().translate(_TRANSLIT))
    ascii_only = lowered.encode("ascii", "ignore").decode("ascii")
    ascii_only = ascii_only.replace("'", "").replace("-", " ")
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", ascii_only)).strip()


def name_key(text: str | None) -> str:
    """A name as one comparable word: folded, without spaces ("Evans-Hughes" -> "evanshughes")."""
    return fold(text).replace(" ", "")


def name_tokens(text: str | None) -> list[str]:
    """The words of a name ("Evans-Hughes" -> ["evans", "hughes"])."""
    return fold(text).split()


@lru_cache(maxsize=50_000)
def given_aliases(name: str) -> tuple[str, ...]:
    """A folded given name with its nicknames and the names it is a nickname of, sorted:
    "bill" -> (..., "bill", "william", ...). Used for the "alias" comparison level."""
    if not name:
        return ()
    first = name.split()[0] if " " in name else name
    aliases = {name, first}
    aliases |= _NICKNAMES.nicknames_of(first)
    aliases |= _NICKNAMES.canonicals_of(first)
    return tuple(sorted(aliases))


def postcode_key(postcode: str | None) -> str:
    """Upper case, no spaces: "cf10 1aa" -> "CF101AA"."""
    return "".join((postcode or "").upper().split())


def outward(postcode: str | None) -> str:
    """The district part of a (UK-style) postcode: "CF10 1AA" -> "CF10"; others unchanged."""
    key = postcode_key(postcode)
    if len(key) >= 5 and key[-3].isdigit():
        return key[:-3]
    return key


def dob_text(value: date | str | None) -> str:
    """ISO date text, or "" when unknown."""
    if value is None or value == "":
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def dob_swapped(iso: str) -> str:
    """The date with day and month swapped, when that is a different valid date, else ""."""
    if len(iso) != 10:
        return ""
    year, month, day = iso[:4], iso[5:7], iso[8:10]
    if month == day or int(day) > 12:
        return ""
    return f"{year}-{day}-{month}"


def digits(text: str | None) -> str:
    return "".join(ch for ch in (text or "") if ch.isdigit())


def identifier_key(text: str | None) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())
