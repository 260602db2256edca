"""English, Welsh and French: every citizen-facing string translated, the compiled
catalogues in step with their sources, dates localised, the choice kept."""

from __future__ import annotations

import gettext
import importlib.util
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.portal.factories import appointment_for, citizen_client

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("po_tool", ROOT / "scripts" / "po_tool.py")
po_tool = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
spec.loader.exec_module(po_tool)  # type: ignore[union-attr]


@pytest.mark.parametrize("language", ["cy", "fr"])
def test_every_entry_is_translated(language):
    assert po_tool.untranslated(language) == []


@pytest.mark.parametrize("language", ["cy", "fr"])
def test_the_compiled_catalogue_matches_its_source(language):
    """CI has no msgfmt: the committed .mo must say what the .po says."""
    mo = po_tool.LOCALE / language / "LC_MESSAGES" / "django.mo"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in po_tool.parse(po_tool.catalogue(language))[1:]:
        msgid = po_tool.text(entry, "msgid")
        if "msgid_plural" in entry:
            plural = gettext.c2py(po_tool.PLURAL_FORMS[language].split("plural=")[1].rstrip(";"))
            for n in (1, 2, 7):
                expected = po_tool.text(entry, f"msgstr[{plural(n)}]")
                assert compiled.ngettext(msgid, po_tool.text(entry, "msgid_plural"), n) == expected
        else:
            assert compiled.gettext(msgid) == po_tool.text(entry, "msgstr"), msgid


def test_placeholders_survive_translation():
    for language in ("cy", "fr"):
        for entry in po_tool.parse(po_tool.catalogue(language))[1:]:
            msgid = po_tool.text(entry, "msgid")
            keys = [k for k in entry if k.startswith("msgstr")]
            for key in keys:
                translated = po_tool.text(entry, key)
                for token in __import__("re").findall(r"%\(\w+\)s", msgid):
                    if token == "%(counter)s" and key != "msgstr":
                        continue  # a plural form may spell the number out
                    assert token in translated, (language, msgid, translated)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("cy", ["Gwiriwch beth allech chi ei gael", "Dechrau nawr"]),
        ("fr", ["Commencer", "Vérifiez ce à quoi"]),
    ],
)
def test_the_browser_language_decides_without_a_choice(setup, language, words):
    html = Client(HTTP_ACCEPT_LANGUAGE=language).get(reverse("portal:check")).content.decode()
    assert f'lang="{language}"' in html
    for word in words:
        assert word in html


def test_the_switcher_beats_the_browser(setup):
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.get(reverse("portal:language", args=["cy"]) + "?next=/portal/check/")
    assert 'lang="cy"' in client.get(reverse("portal:check")).content.decode()


def test_the_switcher_only_goes_back_into_the_portal(setup):
    response = Client().get(reverse("portal:language", args=["cy"]) + "?next=https://evil.example/")
    assert response.url == reverse("portal:dashboard")


def test_dates_are_localised(personas, account, person):
    appointment_for(person, personas.one_stop, personas.keyworker, days=3)
    client = citizen_client(account)
    client.get(reverse("portal:language", args=["cy"]) + "?next=/portal/appointments/")
    html = client.get(reverse("portal:appointments")).content.decode()
    welsh_days = [
        "Dydd Llun",
        "Dydd Mawrth",
        "Dydd Mercher",
        "Dydd Iau",
        "Dydd Gwener",
        "Dydd Sadwrn",
        "Dydd Sul",
    ]
    assert any(day in html for day in welsh_days)
    assert "Eich apwyntiadau" in html


def test_question_pages_and_errors_in_welsh(setup):
    client = Client(HTTP_ACCEPT_LANGUAGE="cy")
    html = client.post(
        reverse("portal:check_question", args=["age"]), {"age": "dim"}
    ).content.decode()
    assert "Rhowch eich oed fel rhif cyfan" in html
    assert "Gwall:" in html  # the page title says there is an error, in Welsh


def test_a_citizens_language_does_not_outlive_the_request(setup):
    from django.utils import translation

    Client(HTTP_ACCEPT_LANGUAGE="fr").get(reverse("portal:check"))
    assert translation.gettext("Continue") == "Continue"
