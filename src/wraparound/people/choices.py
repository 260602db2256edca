"""Controlled vocabularies for people and households."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from wraparound.consent.categories import DataCategory


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    NOT_KNOWN = "not_known", "Not known"
    NOT_STATED = "not_stated", "Prefers not to say"


class Gender(models.TextChoices):
    WOMAN = "woman", "Woman"
    MAN = "man", "Man"
    NON_BINARY = "non_binary", "Non-binary"
    SELF_DESCRIBED = "self_described", "In another way"
    NOT_STATED = "not_stated", "Prefers not to say"


class PopulationGroup(models.TextChoices):
    HOMELESS = "homeless", _("Homeless or at risk of homelessness")
    SEVERE_MENTAL_ILLNESS = "severe_mental_illness", _("Severe mental illness")
    OLDER_PERSON = "older_person", _("Older person with complex needs")
    VULNERABLE_FAMILY = "vulnerable_family", _("Vulnerable family with children")
    DISABILITY = "disability", _("Person with disabilities")
    CARE_LEAVER = "care_leaver", _("Young person leaving care")
    SUBSTANCE_USE = "substance_use", _("Problematic substance use")
    DOMESTIC_ABUSE = "domestic_abuse", _("Experiencing domestic abuse")
    REFUGEE = "refugee", _("Refugee or asylum seeker")
    JUSTICE_INVOLVED = "justice_involved", _("Leaving prison or on probation")


# Some population groups say something sensitive about a person: they belong to that
# category and are shown only when it may be.
POPULATION_GROUP_CATEGORY: dict[str, str] = {
    PopulationGroup.SEVERE_MENTAL_ILLNESS: DataCategory.MENTAL_HEALTH,
    PopulationGroup.SUBSTANCE_USE: DataCategory.SUBSTANCE_USE,
    PopulationGroup.DOMESTIC_ABUSE: DataCategory.SAFETY,
    PopulationGroup.JUSTICE_INVOLVED: DataCategory.LEGAL,
    PopulationGroup.DISABILITY: DataCategory.HEALTH,
}


class Relationship(models.TextChoices):
    HEAD = "head", "Head of household"
    PARTNER = "partner", "Spouse or partner"
    CHILD = "child", "Child"
    STEPCHILD = "stepchild", "Stepchild"
    FOSTER_CHILD = "foster_child", "Foster child"
    PARENT = "parent", "Parent"
    SIBLING = "sibling", "Brother or sister"
    GRANDCHILD = "grandchild", "Grandchild"
    GRANDPARENT = "grandparent", "Grandparent"
    OTHER_RELATIVE = "other_relative", "Other relative"
    UNRELATED = "unrelated", "Not related"


class IdentifierType(models.TextChoices):
    NHS_NUMBER = "nhs_number", "NHS number"
    NATIONAL_INSURANCE = "national_insurance", "National Insurance number"
    LOCAL_AUTHORITY = "local_authority", "Local authority reference"
    AGENCY_RECORD = "agency_record", "Agency record number"
    PASSPORT = "passport", "Passport number"
    OTHER = "other", "Other"


# Languages people in our networks most often ask for; ISO 639-1 codes.
LANGUAGE_CHOICES: list[tuple[str, str]] = [
    ("en", "English"),
    ("cy", "Welsh"),
    ("fr", "French"),
    ("ar", "Arabic"),
    ("bn", "Bengali"),
    ("zh", "Chinese"),
    ("fa", "Farsi"),
    ("gd", "Gaelic"),
    ("ku", "Kurdish"),
    ("lt", "Lithuanian"),
    ("pa", "Punjabi"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("ro", "Romanian"),
    ("ru", "Russian"),
    ("so", "Somali"),
    ("es", "Spanish"),
    ("ti", "Tigrinya"),
    ("tr", "Turkish"),
    ("uk", "Ukrainian"),
    ("ur", "Urdu"),
    ("bsl", "British Sign Language"),
]
LANGUAGE_NAMES = dict(LANGUAGE_CHOICES)
