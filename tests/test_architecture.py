"""Architecture checks: personal data is read only through selectors (and so the policy)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import wraparound
from wraparound.consent.categories import personal_data_models

SRC = Path(wraparound.__file__).parent
# Thin layers that must not touch personal-data models' managers: they call selectors.
THIN_MODULES = sorted(
    [
        *SRC.glob("*/views.py"),
        *SRC.glob("*/*_views.py"),
        *SRC.glob("*/forms.py"),
        *SRC.glob("api/*.py"),
        *SRC.glob("*/templatetags/*.py"),
    ]
)
MANAGER_ATTRIBUTES = {"objects", "_default_manager", "_base_manager"}


def personal_model_names() -> set[str]:
    return {model.__name__ for model in personal_data_models()}


def manager_uses(path: Path, names: set[str], root: Path = SRC) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in MANAGER_ATTRIBUTES
            and isinstance(node.value, ast.Name)
            and node.value.id in names
        ):
            found.append(f"{path.relative_to(root)}:{node.lineno} {node.value.id}.{node.attr}")
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "cursor"
            and isinstance(node.value, ast.Name)
            and node.value.id == "connection"
        ):
            found.append(f"{path.relative_to(root)}:{node.lineno} raw SQL cursor")
    return found


def test_personal_data_models_are_declared():
    names = personal_model_names()
    assert {"Person", "Household", "HouseholdMember", "Identifier", "Case"} <= names


@pytest.mark.parametrize("path", THIN_MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_views_forms_and_api_routes_do_not_query_personal_data(path):
    assert manager_uses(path, personal_model_names()) == []


def test_the_check_catches_a_violation(tmp_path):
    bad = tmp_path / "views.py"
    bad.write_text(
        "from django.db import connection\n"
        "from wraparound.people.models import Person\n"
        "def v(request):\n"
        "    connection.cursor()\n"
        "    return Person.objects.all()\n"
    )
    assert manager_uses(bad, {"Person"}, root=tmp_path) == [
        "views.py:4 raw SQL cursor",
        "views.py:5 Person.objects",
    ]
