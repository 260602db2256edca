"""Loading instruments, tier rules and need-order templates from their files, as versions.

Loading is idempotent: a version already loaded with the same content is left alone. A new,
higher version becomes current (earlier ones are kept: past assessments point at them). The
same version with different content, or a lower version, is refused: published versions
never change. Everything in one run is loaded in one transaction, or nothing is.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from .definition import DefinitionError, parse_definition
from .models import Instrument, InstrumentVersion, NeedOrderTemplate, TierRuleSet
from .scoring import check_template, compile_rules

INSTRUMENTS_DIR = Path(__file__).parent / "instruments"
TIER_RULES_FILE = "tier_rules.json"
NEED_ORDER_FILE = "need_order.json"


@dataclass
class LoadReport:
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def checksum(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(path.name, f"cannot be read: {exc}") from exc
    except json.JSONDecodeError as exc:
        message = f"is not valid JSON (line {exc.lineno}): {exc.msg}"
        raise DefinitionError(path.name, message) from exc


def _check_version(
    existing: Any, version: int, digest: str, label: str, latest: int | None
) -> bool:
    """True if this version is new; False if already loaded identically."""
    if existing is not None:
        if existing.checksum != digest:
            raise DefinitionError(
                label,
                f"version {version} is already loaded with different content; "
                "publish the change as a new version",
            )
        return False
    if latest is not None and version < latest:
        raise DefinitionError(label, f"version {version} is older than version {latest}")
    return True


def load_instrument(data: Any, *, loaded_by: str, report: LoadReport) -> InstrumentVersion:
    definition = parse_definition(data)
    digest = checksum(data)
    label = f"instrument {definition.code}"
    instrument, _ = Instrument.objects.get_or_create(
        code=definition.code, defaults={"name": definition.name, "kind": definition.kind}
    )
    if instrument.kind != definition.kind:
        raise DefinitionError(label, f"kind cannot change from {instrument.kind}")
    existing = instrument.versions.filter(version=definition.version).first()
    latest = instrument.versions.order_by("-version").values_list("version", flat=True).first()
    if not _check_version(existing, definition.version, digest, label, latest):
        report.unchanged.append(f"{definition.code} v{definition.version}")
        assert existing is not None
        return existing
    instrument.versions.filter(is_current=True).update(is_current=False)
    if instrument.name != definition.name:
        instrument.name = definition.name
        instrument.save(update_fields=["name", "updated_at"])
    report.loaded.append(f"{definition.code} v{definition.version}")
    return InstrumentVersion.objects.create(
        instrument=instrument,
        version=definition.version,
        definition=data,
        checksum=digest,
        is_current=True,
        loaded_by=loaded_by,
    )


def load_tier_rules(data: Any, *, loaded_by: str, report: LoadReport) -> TierRuleSet:
    if not isinstance(data, dict) or not isinstance(data.get("version"), int):
        raise DefinitionError("tier rules", "an object with a whole-number 'version' is required")
    rules = data.get("rules")
    compile_rules(rules)
    version, digest = data["version"], checksum(rules)
    existing = TierRuleSet.objects.filter(version=version).first()
    latest = TierRuleSet.objects.order_by("-version").values_list("version", flat=True).first()
    if not _check_version(existing, version, digest, "tier rules", latest):
        report.unchanged.append(f"tier rules v{version}")
        assert existing is not None
        return existing
    TierRuleSet.objects.filter(is_current=True).update(is_current=False)
    report.loaded.append(f"tier rules v{version}")
    return TierRuleSet.objects.create(
        version=version, rules=rules, checksum=digest, is_current=True, loaded_by=loaded_by
    )


def load_need_order(data: Any, *, report: LoadReport) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("version"), int):
        raise DefinitionError("need order", "an object with a whole-number 'version' is required")
    version = data["version"]
    raw = data.get("templates")
    if not isinstance(raw, list) or not raw:
        raise DefinitionError("need order", "'templates' must list templates")
    templates = [check_template(t, f"need order templates[{i}]") for i, t in enumerate(raw)]
    if len({t.code for t in templates}) != len(templates):
        raise DefinitionError("need order", "template codes must be unique")
    if not any(not t.groups for t in templates):
        raise DefinitionError("need order", "a general template (no groups) is required")
    for template in templates:
        existing = NeedOrderTemplate.objects.filter(code=template.code, version=version).first()
        label = f"need order template {template.code}"
        if existing is not None:
            same = (
                existing.order == list(template.order)
                and set(existing.groups) == template.groups
                and existing.name == template.name
                and existing.precedence == template.precedence
            )
            if not same:
                raise DefinitionError(
                    label, f"version {version} is already loaded with different content"
                )
            report.unchanged.append(f"{template.code} v{version}")
            continue
        NeedOrderTemplate.objects.filter(code=template.code, is_current=True).update(
            is_current=False
        )
        NeedOrderTemplate.objects.create(
            code=template.code,
            version=version,
            name=template.name,
            groups=sorted(template.groups),
            order=list(template.order),
            precedence=template.precedence,
            is_current=True,
        )
        report.loaded.append(f"{template.code} v{version}")
    # Templates dropped from the file stop applying.
    NeedOrderTemplate.objects.filter(is_current=True).exclude(
        code__in=[t.code for t in templates]
    ).update(is_current=False)


@transaction.atomic
def load_all(*, directory: Path = INSTRUMENTS_DIR, loaded_by: str = "") -> LoadReport:
    """Load every instrument file (``*.json`` except the rules and templates), the tier
    rules and the need-order templates from ``directory``."""
    report = LoadReport()
    for path in sorted(directory.glob("*.json")):
        if path.name in {TIER_RULES_FILE, NEED_ORDER_FILE}:
            continue
        try:
            load_instrument(_read(path), loaded_by=loaded_by, report=report)
        except DefinitionError as exc:
            raise DefinitionError(f"{path.name}: {exc.where}", exc.message) from exc
    tier_path, order_path = directory / TIER_RULES_FILE, directory / NEED_ORDER_FILE
    if tier_path.exists():
        load_tier_rules(_read(tier_path), loaded_by=loaded_by, report=report)
    if order_path.exists():
        load_need_order(_read(order_path), report=report)
    return report
