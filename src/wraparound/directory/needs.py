"""THE list of need categories (social determinants of health) used across Wraparound.

Services declare which needs they serve; assessments, eligibility rules and the gaps report
speak the same codes. The codes follow the Gravity Project's SDOH domains, in kebab case.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class NeedCategory(models.TextChoices):
    HOUSING_INSTABILITY = "housing-instability", _("Housing instability")
    HOMELESSNESS = "homelessness", _("Homelessness")
    INADEQUATE_HOUSING = "inadequate-housing", _("Inadequate housing")
    FOOD_INSECURITY = "food-insecurity", _("Food insecurity")
    FINANCIAL_INSECURITY = "financial-insecurity", _("Financial insecurity")
    MATERIAL_HARDSHIP = "material-hardship", _("Material hardship")
    EMPLOYMENT_STATUS = "employment-status", _("Employment")
    EDUCATIONAL_ATTAINMENT = "educational-attainment", _("Education and skills")
    TRANSPORTATION_INSECURITY = "transportation-insecurity", _("Transport")
    UTILITY_INSECURITY = "utility-insecurity", _("Utilities (fuel, water, power)")
    HEALTH_CARE_ACCESS = "health-care-access", _("Access to health care")
    MENTAL_HEALTH = "mental-health", _("Mental health")
    SUBSTANCE_USE = "substance-use", _("Substance use")
    INTERPERSONAL_SAFETY = "interpersonal-safety", _("Interpersonal safety")
    SOCIAL_CONNECTION = "social-connection", _("Social connection and isolation")
    STRESS = "stress", _("Stress")
    ELDER_ABUSE = "elder-abuse", _("Elder abuse")
    CHILDCARE = "childcare", _("Childcare")
    DIGITAL_ACCESS = "digital-access", _("Digital access and literacy")
    LEGAL_NEEDS = "legal-needs", _("Legal needs")
    DISABILITY_SUPPORT = "disability-support", _("Disability support")
    CAREGIVER_SUPPORT = "caregiver-support", _("Support for carers")
    VETERAN_STATUS = "veteran-status", _("Veterans' support")


class PriorityClass(models.TextChoices):
    """Priority: meets a basic need (housing, food, health, safety, crisis income).
    Supportive: builds self-sufficiency."""

    PRIORITY = "priority", "Priority (basic need)"
    SUPPORTIVE = "supportive", "Supportive (self-sufficiency)"


# Which needs are basic (a service meeting one is usually of the priority class).
BASIC_NEEDS = frozenset(
    {
        NeedCategory.HOUSING_INSTABILITY,
        NeedCategory.HOMELESSNESS,
        NeedCategory.FOOD_INSECURITY,
        NeedCategory.FINANCIAL_INSECURITY,
        NeedCategory.HEALTH_CARE_ACCESS,
        NeedCategory.MENTAL_HEALTH,
        NeedCategory.INTERPERSONAL_SAFETY,
        NeedCategory.UTILITY_INSECURITY,
    }
)


# The "Wraparound needs" HSDS taxonomy publishes these categories; its ids are fixed so that
# every deployment's exports agree and imports recognise it.
NEEDS_TAXONOMY_ID = uuid.uuid5(uuid.NAMESPACE_URL, "urn:wraparound:taxonomy:needs")


def need_term_id(need: str) -> uuid.UUID:
    return uuid.uuid5(NEEDS_TAXONOMY_ID, str(need))
