"""Validation against the official HSDS 3.0 JSON schemas, when they are on this machine.

The schemas are not part of Wraparound (they are the standard's, under its own licence):
they are read from ``settings.HSDS_STANDARD_DIR`` (default: ``../shared/standards/hsds-3.0``
beside the repository). Where that folder is absent, imports still validate every row with
Wraparound's own table rules (``tables.py``, checked against these schemas by the tests).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "https://hsds.schema.invalid/"


def standard_dir() -> Path | None:
    configured = getattr(settings, "HSDS_STANDARD_DIR", None)
    if configured:
        path = Path(configured)
    else:
        path = Path(settings.BASE_DIR).parent / "shared" / "standards" / "hsds-3.0"
    return path if (path / "schema" / "service.json").is_file() else None


@lru_cache(maxsize=4)
def _registry(root: str) -> Registry[Any]:
    registry: Registry[Any] = Registry()
    base = Path(root)
    for file in sorted(base.glob("schema/**/*.json")):
        contents = json.loads(file.read_text(encoding="utf-8"))
        uri = BASE + file.relative_to(base).as_posix()
        registry = registry.with_resource(
            uri, Resource.from_contents(contents, default_specification=DRAFT202012)
        )
    return registry


@lru_cache(maxsize=64)
def _validator(root: str, name: str) -> Draft202012Validator:
    registry = _registry(root)
    uri = f"{BASE}schema/{name}.json"
    contents = registry.contents(uri)
    schema = {**contents, "$id": uri}
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())


def validator(name: str) -> Draft202012Validator | None:
    """The validator of ``schema/<name>.json`` (e.g. "service", "compiled/service_list")."""
    root = standard_dir()
    if root is None:
        return None
    return _validator(str(root), name)


def openapi() -> dict[str, Any] | None:
    root = standard_dir()
    if root is None:
        return None
    result: dict[str, Any] = json.loads((root / "schema" / "openapi.json").read_text("utf-8"))
    return result
