"""The analytics store's tables: names, columns, DuckDB types and what each column means.

This is the contract between the refresh (``analytics/store.py``, which writes one Parquet
file per table), the reports (``analytics/queries.py``, outcome definitions) and the
de-identified export (whose data dictionary is generated from these descriptions).

Nobody is named in the store. People appear only as ``person_key``: a keyed hash (HMAC-
SHA256 with the store's secret) of their id, stable between refreshes so trends can be
followed, meaningless without the secret. Dates are kept (reports need periods); the
researcher export generalises them further. Free text never enters the store.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a DuckDB type
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _t(name: str, description: str, *columns: tuple[str, str, str]) -> Table:
    return Table(name, description, tuple(Column(*c) for c in columns))


PERSON_KEY = ("person_key", "VARCHAR", "Pseudonymous person key (keyed hash of the person id)")

TABLES: tuple[Table, ...] = (
    _t(
        "people",
        "One row per person known to the network (merged records excluded).",
        PERSON_KEY,
        ("network_id", "INTEGER", "The network"),
        ("area_code", "VARCHAR", "Official code of the person's neighbourhood (or null)"),
        ("district_code", "VARCHAR", "Official code of the district above it (or null)"),
        ("age_band", "VARCHAR", "Age band on the refresh date: 0-17, 18-24, 25-34 ... 75+"),
        ("sex", "VARCHAR", "As recorded"),
        ("population_groups", "VARCHAR[]", "Population group codes (people/choices.py)"),
        ("registered_on", "DATE", "When the person was first registered"),
        ("case_managed", "BOOLEAN", "Has ever had a case with a key worker"),
        ("case_opened_on", "DATE", "First case with a key worker opened (or null)"),
        ("stepped_down_on", "DATE", "Latest step-down (or null)"),
        ("closed_on", "DATE", "Latest case closure (or null)"),
        ("closure_reason", "VARCHAR", "Latest closure reason code (or null)"),
        ("lead_organisation_id", "INTEGER", "Lead organisation of the latest case (or null)"),
        ("evaluation_opt_out", "BOOLEAN", "Refused de-identified evaluation: never exported"),
    ),
    _t(
        "assessments",
        "Completed assessments.",
        ("assessment_id", "BIGINT", "Assessment id (internal, not identifying)"),
        PERSON_KEY,
        ("completed_on", "DATE", "When it was completed"),
        ("instrument", "VARCHAR", "Instrument code"),
        ("tier", "VARCHAR", "Tier in force after it (overrides applied)"),
        ("organisation_id", "INTEGER", "Assessing organisation"),
    ),
    _t(
        "domain_scores",
        "Self-sufficiency matrix domain scores (1 in crisis, 2 vulnerable, 3 safe, 4 building "
        "capacity, 5 empowered).",
        ("assessment_id", "BIGINT", "Assessment id"),
        PERSON_KEY,
        ("completed_on", "DATE", "When the assessment was completed"),
        ("domain", "VARCHAR", "Domain code (e.g. housing)"),
        ("score", "SMALLINT", "Score 1-5"),
    ),
    _t(
        "needs",
        "Needs found by completed assessments, in priority order.",
        ("assessment_id", "BIGINT", "Assessment id"),
        PERSON_KEY,
        ("completed_on", "DATE", "When the assessment was completed"),
        ("need", "VARCHAR", "Need category code (directory/needs.py)"),
        ("severity", "VARCHAR", "crisis, high or moderate"),
        ("priority_class", "VARCHAR", "priority (basic need) or supportive"),
        ("position", "SMALLINT", "Position in the person's order (1 first)"),
    ),
    _t(
        "referrals",
        "Referrals sent (drafts and entered-in-error excluded).",
        ("referral_id", "BIGINT", "Referral id"),
        PERSON_KEY,
        ("service_id", "INTEGER", "Receiving service"),
        ("receiving_organisation_id", "INTEGER", "Receiving organisation"),
        ("referring_organisation_id", "INTEGER", "Referring organisation"),
        ("need", "VARCHAR", "Need category code"),
        ("urgency", "VARCHAR", "routine, urgent or emergency"),
        ("status", "VARCHAR", "Current status (FHIR task status)"),
        ("status_reason_code", "VARCHAR", "Coded reason of the current status (or null)"),
        ("requested_at", "TIMESTAMPTZ", "Sent"),
        ("respond_by", "TIMESTAMPTZ", "Response deadline (working hours)"),
        ("responded_at", "TIMESTAMPTZ", "First answer (accepted, rejected or on hold)"),
        ("accepted_at", "TIMESTAMPTZ", "Accepted (or null)"),
        ("first_contact_by", "TIMESTAMPTZ", "First-contact deadline"),
        ("first_contact_at", "TIMESTAMPTZ", "First contact made (or null)"),
        ("closed_at", "TIMESTAMPTZ", "Reached a final status (or null)"),
        ("requested_on", "DATE", "Day sent (in the network's time zone)"),
        ("accepted_on", "DATE", "Day accepted (or null)"),
        ("closed_on", "DATE", "Day it reached a final status (or null)"),
    ),
    _t(
        "referral_transitions",
        "Every move of every referral.",
        ("referral_id", "BIGINT", "Referral id"),
        ("from_status", "VARCHAR", "Status before ('' when created)"),
        ("to_status", "VARCHAR", "Status after"),
        ("side", "VARCHAR", "referrer or receiver"),
        ("at", "TIMESTAMPTZ", "When"),
        ("reason_code", "VARCHAR", "Coded reason (or null)"),
        ("on", "DATE", "Day (in the network's time zone)"),
    ),
    _t(
        "enrolments",
        "Enrolments in services.",
        ("enrolment_id", "BIGINT", "Enrolment id"),
        PERSON_KEY,
        ("service_id", "INTEGER", "Service"),
        ("organisation_id", "INTEGER", "Organisation"),
        ("referral_id", "BIGINT", "The referral it came from (or null: direct intake)"),
        ("started_on", "DATE", "Start"),
        ("ended_on", "DATE", "End (or null: active)"),
        ("end_reason", "VARCHAR", "End reason code (or null)"),
    ),
    _t(
        "service_events",
        "Outputs: services delivered.",
        ("event_id", "BIGINT", "Service event id"),
        PERSON_KEY,
        ("enrolment_id", "BIGINT", "Enrolment"),
        ("service_id", "INTEGER", "Service"),
        ("organisation_id", "INTEGER", "Delivering organisation"),
        ("on", "DATE", "Day delivered"),
        ("event_type", "VARCHAR", "Event type code"),
        ("mode", "VARCHAR", "centre, home_visit, phone, video or community"),
        ("units", "DOUBLE", "Units delivered"),
        ("minutes", "INTEGER", "Duration in minutes (or null)"),
        ("cost", "DOUBLE", "Cost in GBP (units x unit cost at the time; null when unknown)"),
    ),
    _t(
        "crisis_events",
        "Crisis service use (hard evidence): emergency attendances, admissions, shelter "
        "nights, custody, crisis team contacts.",
        PERSON_KEY,
        ("kind", "VARCHAR", "Crisis kind code (crisis/models.py)"),
        ("occurred_on", "DATE", "Day it happened"),
    ),
    _t(
        "satisfaction",
        "Answers to the experience-of-coordination survey.",
        PERSON_KEY,
        ("organisation_id", "INTEGER", "Organisation that sent the survey"),
        ("trigger", "VARCHAR", "step_down or closure"),
        ("sent_on", "DATE", "Sent"),
        ("answered_on", "DATE", "Answered (or null)"),
        ("told_story_once", "SMALLINT", "1-5 agreement: I only had to tell my story once"),
        ("knew_who_to_contact", "SMALLINT", "1-5: I knew who to contact"),
        ("agencies_talked", "SMALLINT", "1-5: the agencies talked to each other"),
        ("overall", "SMALLINT", "1-5: overall satisfaction"),
    ),
    _t(
        "goals",
        "Care plan goals of agreed plans.",
        PERSON_KEY,
        ("need", "VARCHAR", "Need category code"),
        ("agreed_on", "DATE", "When the plan with this goal was agreed"),
        ("target_on", "DATE", "Target date"),
        ("achieved_on", "DATE", "When all its actions were done (or null)"),
    ),
)
TABLES_BY_NAME = {t.name: t for t in TABLES}
