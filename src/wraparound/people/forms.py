"""Staff forms for people and households. Parsing here; rules in the services."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from wraparound.core.forms import GovukDateField, ServiceForm
from wraparound.core.models import Area, AreaLevel, Network
from wraparound.people.choices import (
    LANGUAGE_CHOICES,
    Gender,
    IdentifierType,
    PopulationGroup,
    Relationship,
    Sex,
)
from wraparound.people.services import PersonDetails
from wraparound.people.validation import (
    normalise_identifier,
    normalise_phone,
    validate_birth_date,
)


class PersonSearchForm(forms.Form):
    name = forms.CharField(
        label="Name",
        required=False,
        max_length=200,
        help_text="Any part of a given, family, preferred or previous name",
    )
    date_of_birth = GovukDateField(
        label="Date of birth", required=False, help_text="For example, 27 3 1980"
    )
    identifier = forms.CharField(
        label="Identifier",
        required=False,
        max_length=60,
        help_text="NHS number, National Insurance number or another reference",
    )

    def has_criteria(self) -> bool:
        data = self.cleaned_data
        return bool(
            data.get("name", "").strip()
            or data.get("date_of_birth")
            or data.get("identifier", "").strip()
        )


def _area_choices(network: Network) -> list[tuple[str, str]]:
    areas = (
        Area.objects.filter(network=network)
        .exclude(level=AreaLevel.REGION)
        .select_related("parent")
    )
    choices = [("", "Choose an area")]
    choices += [
        (
            str(a.pk),
            f"{a.name} ({a.parent.name})"
            if a.level == AreaLevel.NEIGHBOURHOOD and a.parent
            else a.name,
        )
        for a in sorted(areas, key=lambda a: (a.parent.name if a.parent else "", a.name))
    ]
    return choices


def check_phone(value: str) -> None:
    normalise_phone(value)


class PersonForm(ServiceForm):
    service_field_map = {"area_id": "area"}

    given_name = forms.CharField(
        label="Given name", max_length=100, error_messages={"required": "Enter a given name"}
    )
    family_name = forms.CharField(
        label="Family name", max_length=100, error_messages={"required": "Enter a family name"}
    )
    preferred_name = forms.CharField(
        label="Preferred name",
        required=False,
        max_length=100,
        help_text="What they like to be called, if different",
    )
    previous_names = forms.CharField(
        label="Previous names",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One full name per line, for example a name before marriage",
    )
    # The services check these again; checking here too shows every error at once.
    date_of_birth = GovukDateField(
        label="Date of birth",
        required=False,
        help_text="For example, 27 3 1980",
        validators=[validate_birth_date],
    )
    date_of_birth_is_approximate = forms.BooleanField(
        label="The date of birth is approximate", required=False
    )
    sex = forms.ChoiceField(
        label="Sex", choices=Sex.choices, widget=forms.RadioSelect, initial=Sex.NOT_KNOWN
    )
    gender = forms.ChoiceField(
        label="Gender", required=False, choices=[("", "Not recorded"), *Gender.choices]
    )
    gender_description = forms.CharField(
        label="Gender, in their words", required=False, max_length=100
    )
    phone = forms.CharField(
        label="Phone number",
        required=False,
        max_length=30,
        validators=[check_phone],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email = forms.CharField(
        label="Email address",
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"type": "email", "spellcheck": "false"}),
    )
    address_line_1 = forms.CharField(label="Address line 1", required=False, max_length=200)
    address_line_2 = forms.CharField(label="Address line 2", required=False, max_length=200)
    town = forms.CharField(label="Town or city", required=False, max_length=100)
    postcode = forms.CharField(label="Postcode", required=False, max_length=12)
    area = forms.ChoiceField(label="Area", required=False, choices=[])
    preferred_languages = forms.MultipleChoiceField(
        label="Preferred languages",
        required=False,
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    interpreter_needed = forms.BooleanField(label="Needs an interpreter", required=False)
    population_groups = forms.MultipleChoiceField(
        label="Population groups",
        required=False,
        choices=PopulationGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="These shape the order in which needs are met",
    )

    ADDRESS_FIELDS = ("address_line_1", "address_line_2", "town", "postcode", "area")

    def __init__(
        self, *args: Any, network: Network, address_editable: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["area"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _area_choices(network)
        if not address_editable:  # withheld for safety from this worker: not shown, kept as is
            for name in self.ADDRESS_FIELDS:
                del self.fields[name]

    @property
    def address_editable(self) -> bool:
        return "postcode" in self.fields

    @classmethod
    def initial_from(cls, details: PersonDetails) -> dict[str, Any]:
        initial = {
            name: getattr(details, name)
            for name in details.__dataclass_fields__
            if name not in {"previous_names", "area_id"}
        }
        initial["previous_names"] = "\n".join(details.previous_names)
        initial["area"] = str(details.area_id) if details.area_id else ""
        return initial

    def to_details(self, *, keep: PersonDetails | None = None) -> PersonDetails:
        """The typed details; fields not on the form (a withheld address) come from ``keep``."""
        data = dict(self.cleaned_data)
        if not self.address_editable:
            assert keep is not None
            data.update(
                address_line_1=keep.address_line_1,
                address_line_2=keep.address_line_2,
                town=keep.town,
                postcode=keep.postcode,
                area=str(keep.area_id) if keep.area_id else "",
            )
        return PersonDetails(
            given_name=data["given_name"],
            family_name=data["family_name"],
            preferred_name=data["preferred_name"],
            previous_names=[n for n in data["previous_names"].splitlines() if n.strip()],
            date_of_birth=data["date_of_birth"],
            date_of_birth_is_approximate=data["date_of_birth_is_approximate"],
            sex=data["sex"],
            gender=data["gender"],
            gender_description=data["gender_description"],
            phone=data["phone"],
            email=data["email"],
            address_line_1=data["address_line_1"],
            address_line_2=data["address_line_2"],
            town=data["town"],
            postcode=data["postcode"],
            area_id=int(data["area"]) if data["area"] else None,
            preferred_languages=list(data["preferred_languages"]),
            interpreter_needed=data["interpreter_needed"],
            population_groups=list(data["population_groups"]),
        )


class NewPersonForm(PersonForm):
    """Registration also takes one identifier, so duplicates are caught at the door."""

    service_field_map = {"area_id": "area", "identifiers": "identifier_value"}

    identifier_type = forms.ChoiceField(
        label="Identifier type",
        required=False,
        choices=[("", "No identifier"), *IdentifierType.choices],
    )
    identifier_value = forms.CharField(label="Identifier", required=False, max_length=60)
    identifier_issuer = forms.CharField(
        label="Issued by",
        required=False,
        max_length=100,
        help_text="Only for agency and local references, for example 'Rhondda Council'",
    )
    # Sent by the "register as a new person" button after likely matches were shown.
    confirm_new = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("identifier_value") and not data.get("identifier_type"):
            self.add_error("identifier_type", "Choose the type of identifier")
        if data.get("identifier_type") and not data.get("identifier_value"):
            self.add_error("identifier_value", "Enter the identifier, or choose 'No identifier'")
        elif data.get("identifier_type"):
            try:
                normalise_identifier(data["identifier_type"], data["identifier_value"])
            except forms.ValidationError as error:
                self.add_error("identifier_value", error)
        return data

    def identifiers(self) -> list[tuple[str, str, str]]:
        data = self.cleaned_data
        if not data.get("identifier_type"):
            return []
        return [(data["identifier_type"], data["identifier_value"], data["identifier_issuer"])]


class IdentifierForm(ServiceForm):
    service_field_map = {"identifiers": "value"}

    type = forms.ChoiceField(label="Type", choices=IdentifierType.choices)
    value = forms.CharField(
        label="Identifier", max_length=60, error_messages={"required": "Enter the identifier"}
    )
    issuer = forms.CharField(label="Issued by", required=False, max_length=100)


_REFERENCE = re.compile(r"^\s*(?:P-?)?0*(\d{1,12})\s*$", re.IGNORECASE)


def parse_person_reference(raw: str) -> int | None:
    """'P-000123', 'p123' or '123' -> 123."""
    match = _REFERENCE.match(raw or "")
    return int(match.group(1)) if match else None


class HouseholdForm(ServiceForm):
    name = forms.CharField(
        label="Household name",
        max_length=200,
        help_text="How the household is known, usually the family name",
        error_messages={"required": "Enter a name for the household"},
    )


class HouseholdMemberForm(forms.Form):
    reference = forms.CharField(
        label="Record number",
        max_length=20,
        help_text="For example P-000123, shown at the top of each person's record",
        error_messages={"required": "Enter the record number"},
    )
    relationship = forms.ChoiceField(
        label="Relationship to the head of household",
        choices=[("", "Choose a relationship"), *Relationship.choices],
        error_messages={"required": "Choose how they are related to the head of household"},
    )
    remove = forms.BooleanField(label="Remove from the household", required=False)

    def clean_reference(self) -> int:
        person_id = parse_person_reference(self.cleaned_data["reference"])
        if person_id is None:
            raise forms.ValidationError("Enter a record number like P-000123")
        return person_id


class BaseMemberFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        # Blank extra rows are simply unused; everything else was checked per row.
        return None


HouseholdMemberFormSet = forms.formset_factory(
    HouseholdMemberForm, formset=BaseMemberFormSet, extra=2, max_num=20, validate_max=True
)


class MergeForm(ServiceForm):
    """Merge this record and another: which one, which survives, why; then confirm."""

    service_field_map = {"merged": "other"}

    other = forms.CharField(
        label="Record number of the other record",
        max_length=20,
        help_text="For example, P-000123",
        error_messages={"required": "Enter the record number of the other record"},
    )
    keep = forms.ChoiceField(
        label="Which record is kept",
        choices=[("this", "This record"), ("other", "The other record")],
        widget=forms.RadioSelect,
        initial="this",
        help_text="Everything about the other one moves to it; the other is kept as history",
        error_messages={"required": "Choose which record is kept"},
    )
    reason = forms.CharField(
        label="Why are these the same person?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="For example, the same NHS number, confirmed with the person",
        error_messages={"required": "Enter why these records are the same person"},
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_other(self) -> int:
        person_id = parse_person_reference(self.cleaned_data["other"])
        if person_id is None:
            raise forms.ValidationError("Enter a record number, like P-000123")
        return person_id


class UnmergeForm(ServiceForm):
    reason = forms.CharField(
        label="Why are these not the same person?",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages={"required": "Enter why the merge is being undone"},
    )
