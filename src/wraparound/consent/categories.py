"""Data categories: what kind of personal data something is, which decides who may see it.

Models declare their category next to their fields (``personal_data = PersonalData(...)``);
``PERSONAL_DATA_MODELS`` collects them so checks can find every model holding personal data.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class DataCategory(models.TextChoices):
    IDENTITY = "identity", _("Identity and contact")
    HOUSEHOLD = "household", _("Household")
    ASSESSMENTS = "assessments", _("Assessments and needs")
    PLANS_REFERRALS = "plans_referrals", _("Cases, plans and referrals")
    HEALTH = "health", _("Health")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    SUBSTANCE_USE = "substance_use", _("Substance use")
    LEGAL = "legal", _("Legal and justice")
    SAFETY = "safety", _("Safety and domestic abuse")
    FINANCES = "finances", _("Finances and benefits")
    DOCUMENTS = "documents", _("Documents")
    CASE_NOTES = "case_notes", _("Case notes")


# Never covered by a consent unless named in it; the relationship rule does not reach them.
SENSITIVE_CATEGORIES = frozenset(
    {
        DataCategory.HEALTH,
        DataCategory.MENTAL_HEALTH,
        DataCategory.SUBSTANCE_USE,
        DataCategory.LEGAL,
        DataCategory.SAFETY,
    }
)
# No re-disclosure (in the spirit of 42 CFR Part 2): only the consent's named recipient
# organisation, never a sector or the whole network.
NO_REDISCLOSURE = frozenset({DataCategory.SUBSTANCE_USE})
STANDARD_CATEGORIES = tuple(c for c in DataCategory if c not in SENSITIVE_CATEGORIES)


def category_label(code: str) -> str:
    try:
        return DataCategory(code).label.lower()
    except ValueError:
        return code


@dataclass(frozen=True)
class PersonalData:
    """Declared on a model: its category, and the fields of another category if any."""

    category: DataCategory
    field_categories: tuple[tuple[str, DataCategory], ...] = ()

    def category_of(self, field_name: str) -> DataCategory:
        return dict(self.field_categories).get(field_name, self.category)


def personal_data_models() -> dict[type[models.Model], PersonalData]:
    """Every model that declares ``personal_data``: the set the access policy guards."""
    from django.apps import apps

    return {
        model: model.personal_data  # type: ignore[attr-defined]
        for model in apps.get_models()
        if isinstance(getattr(model, "personal_data", None), PersonalData)
    }
