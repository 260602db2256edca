"""Read and write the citizen-facing translation catalogues (src/wraparound/locale).

    python scripts/po_tool.py list cy          # the msgids, one JSON string per line
    python scripts/po_tool.py fill cy FILE     # fill msgstrs from a JSON {msgid: str | [forms]}
    python scripts/po_tool.py check            # every entry translated in every language

CI has no msgfmt, so the compiled .mo files are committed; ``check`` (run by the test
suite) also verifies each .mo matches its .po.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[1] / "src" / "wraparound" / "locale"
PLURAL_FORMS = {
    "cy": "nplurals=6; plural=(n==0) ? 0 : (n==1) ? 1 : (n==2) ? 2 : (n==3) ? 3 : (n==6) ? 4 : 5;",
    "fr": "nplurals=2; plural=(n > 1);",
}


def _unquote(lines: list[str]) -> str:
    return "".join(ast.literal_eval(line) for line in lines)


def parse(path: Path) -> list[dict]:
    entries: list[dict] = []
    entry: dict = {"comments": []}
    key = None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if "msgid" in entry:
                entries.append(entry)
            entry, key = {"comments": []}, None
            continue
        if line.startswith("#"):
            entry["comments"].append(raw)
            continue
        if line.startswith('"'):
            entry[key].append(line)
            continue
        name, _sep, rest = line.partition(" ")
        key = name
        entry[key] = [rest]
    return entries


def text(entry: dict, key: str) -> str:
    return _unquote(entry[key]) if key in entry else ""


def quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def write(path: Path, entries: list[dict]) -> None:
    out: list[str] = []
    for entry in entries:
        out.extend(entry["comments"])
        for key in [k for k in entry if k != "comments"]:
            value = text(entry, key)
            if "\n" in value and len(value) > 1:
                out.append(f'{key} ""')
                parts = value.split("\n")
                for i, part in enumerate(parts):
                    piece = part + ("\n" if i < len(parts) - 1 else "")
                    if piece:
                        out.append(quote(piece))
            else:
                out.append(f"{key} {quote(value)}")
        out.append("")
    path.write_text("\n".join(out), encoding="utf-8")


def catalogue(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


def cmd_list(language: str) -> None:
    for entry in parse(catalogue(language))[1:]:
        msgid = text(entry, "msgid")
        plural = text(entry, "msgid_plural")
        print(json.dumps([msgid, plural] if plural else msgid, ensure_ascii=False))


def cmd_fill(language: str, source: str) -> None:
    given = json.loads(Path(source).read_text(encoding="utf-8"))
    entries = parse(catalogue(language))
    header = entries[0]
    value = text(header, "msgstr")
    fixed = {
        "Project-Id-Version": "Wraparound",
        "Last-Translator": "Wraparound maintainers",
        "Language-Team": "Wraparound maintainers",
        "Language": language,
        "PO-Revision-Date": "2026-11-22 12:00+0000",
        "Plural-Forms": PLURAL_FORMS[language],
    }
    lines = [ln for ln in value.split("\n") if ln and ln.split(":")[0] not in fixed]
    lines = [ln.replace("charset=CHARSET", "charset=UTF-8") for ln in lines]
    lines += [f"{key}: {val}" for key, val in fixed.items()]
    header["msgstr"] = [quote("\n".join(lines) + "\n")]
    header["comments"] = [c for c in header["comments"] if "fuzzy" not in c]
    missing = []
    for entry in entries[1:]:
        msgid = text(entry, "msgid")
        if msgid not in given:
            if not text(entry, "msgstr") and "msgstr[0]" not in entry:
                missing.append(msgid)
            continue
        translation = given[msgid]
        entry["comments"] = [c for c in entry["comments"] if "fuzzy" not in c]
        if "msgid_plural" in entry:
            forms = translation if isinstance(translation, list) else [translation]
            count = int(PLURAL_FORMS[language].split(";")[0].split("=")[1])
            for key in [k for k in entry if k.startswith("msgstr")]:
                del entry[key]
            for i in range(count):
                entry[f"msgstr[{i}]"] = [quote(forms[min(i, len(forms) - 1)])]
        else:
            entry["msgstr"] = [quote(translation)]
    write(catalogue(language), entries)
    for msgid in missing:
        print("untranslated:", msgid)


def untranslated(language: str) -> list[str]:
    out = []
    for entry in parse(catalogue(language))[1:]:
        if any("fuzzy" in c for c in entry["comments"]):
            out.append(text(entry, "msgid"))
            continue
        keys = [k for k in entry if k.startswith("msgstr")]
        if not all(text(entry, k) for k in keys):
            out.append(text(entry, "msgid"))
    return out


def cmd_check() -> int:
    bad = 0
    for language in PLURAL_FORMS:
        for msgid in untranslated(language):
            print(f"{language}: untranslated: {msgid}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "list":
        cmd_list(sys.argv[2])
    elif command == "fill":
        cmd_fill(sys.argv[2], sys.argv[3])
    else:
        sys.exit(cmd_check())
