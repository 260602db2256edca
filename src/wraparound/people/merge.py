"""Merge two records of the same person, and undo it.

``person_merge`` moves **everything** that points at the merged person to the survivor: every
foreign key and many-to-many row to ``Person`` in any app, found generically through
``Person._meta.related_objects`` — source records, cases, consents, legal bases,
break-glass, identifiers, household membership, population groups, review pairs, and
whatever later apps add (assessments, plans, referrals, appointments) without a change here.
Each row changed is written down as a ``PersonMergeChange`` so that ``person_unmerge`` puts
back exactly the prior state. The merged person is kept, marked ``merged_into`` the survivor,
and hidden from search, lists and matching.

Unique-constraint clashes are handled explicitly, per table (``CLASH_RULES``):

* a row the survivor already has in the same form (the same population group, the same
  review pair, the same row of a many-to-many table) is removed as a duplicate — in full,
  so unmerge re-inserts it with its own id;
* both in the same household: the merged person's membership is removed, and if they were
  the head the survivor becomes head;
* anything else that can exist only once (both in different households, both with an
  active case led by the same organisation, a table this module does not know) refuses the
  merge, naming what to resolve first. Nothing is written.

Derived tables (access grants, name-search tokens, match keys) are not moved: they are
rebuilt for both people from the moved rows. The audit trail is never rewritten.

Who may merge: a manager or privacy officer of the network's lead organisation, who can see
both records (ADR 0011). A reason is required; merging someone into themselves, across
networks, or a record already merged is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import Role
from wraparound.audit.services import audit_record
from wraparound.consent.categories import DataCategory
from wraparound.consent.grants import sync_access_grants
from wraparound.consent.policy import AccessDecision, decide
from wraparound.people.choices import Relationship
from wraparound.people.matching import refresh_match_keys
from wraparound.people.models import (
    MERGE_TRANSITIONS,
    ChangeKind,
    HouseholdMember,
    MergeStatus,
    Person,
    PersonMerge,
    PersonMergeChange,
)
from wraparound.people.services import refresh_search_index

MERGE_ROLES = frozenset({Role.MANAGER, Role.PRIVACY_OFFICER})
# Rebuilt from their sources for both people after a merge or unmerge, never moved.
DERIVED_TABLES = frozenset(
    {
        "consent.AccessGrant",
        "consent.GrantedNameToken",
        "people.PersonNameToken",
        "people.PersonMatchKey",
    }
)
# The merge's own bookkeeping, and Person.merged_into itself.
OWN_TABLES = frozenset({"people.PersonMerge", "people.Person"})
# Details of the merged person copied onto the survivor when the survivor has none.
FILLED_FIELDS = ("date_of_birth", "phone", "email", "preferred_name")


def may_merge(actor: Actor) -> AccessDecision:
    membership = actor.membership
    if membership is None or not membership.is_active:
        return AccessDecision(False, "not a member of any organisation")
    if membership.role not in MERGE_ROLES or not membership.organisation.is_lead:
        return AccessDecision(
            False,
            "only a manager or privacy officer of the network's lead organisation can merge "
            "or unmerge records",
        )
    return AccessDecision(True, f"{membership.get_role_display()} of the lead organisation")


@dataclass(frozen=True)
class Relation:
    """One foreign key to Person: the table and the column."""

    model: type[models.Model]
    field: models.ForeignKey[Any, Any]

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def column(self) -> str:
        return self.field.attname

    def rows(self, person_id: int) -> models.QuerySet[Any]:
        return self.model._base_manager.filter(**{self.column: person_id}).order_by("pk")


def person_relations() -> list[Relation]:
    """Every foreign key to Person (many-to-many ones through their link table), except
    the derived tables and the merge's own."""
    relations: list[Relation] = []
    for rel in Person._meta.related_objects:
        if rel.many_to_many:
            through = rel.through  # type: ignore[attr-defined]
            fk = through._meta.get_field(rel.field.m2m_reverse_field_name())  # type: ignore[attr-defined]
            relations.append(Relation(through, fk))
        else:
            relations.append(Relation(rel.related_model, rel.field))  # type: ignore[arg-type]
    # Many-to-many fields declared on Person itself (e.g. address_visible_to) belong to the
    # record that declares them and stay with it.
    return [r for r in relations if r.label not in DERIVED_TABLES | OWN_TABLES]


def _unique_sets(relation: Relation) -> list[tuple[list[str], Q | None]]:
    """The unique column sets (with their condition) that include the person column."""
    meta = relation.model._meta
    sets: list[tuple[list[str], Q | None]] = []
    if relation.field.unique:
        sets.append(([relation.column], None))
    for together in meta.unique_together:
        if relation.field.name in together:
            sets.append(([meta.get_field(n).attname for n in together], None))  # type: ignore[union-attr]
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and relation.field.name in (
            constraint.fields or ()
        ):
            columns = [meta.get_field(n).attname for n in constraint.fields]  # type: ignore[union-attr]
            sets.append((columns, constraint.condition))
    return sets


def _clash(relation: Relation, row: models.Model, survivor_id: int) -> models.Model | None:
    """The survivor's row that ``row`` would duplicate under a unique constraint, if any."""
    manager = relation.model._base_manager
    for columns, condition in _unique_sets(relation):
        if condition is not None and not manager.filter(pk=row.pk).filter(condition).exists():
            continue
        lookup = {c: getattr(row, c) for c in columns} | {relation.column: survivor_id}
        others = manager.filter(**lookup).exclude(pk=row.pk)
        if condition is not None:
            others = others.filter(condition)
        other = others.first()
        if other is not None:
            return other
    return None


class _Encoder(DjangoJSONEncoder):
    """Django's encoder, but times keep their microseconds (it rounds to milliseconds)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | time):
            return o.isoformat()
        return super().default(o)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=_Encoder))


@dataclass
class _Recorder:
    merge: PersonMerge
    changes: list[PersonMergeChange] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, obj: models.Model, **values: Any) -> None:
        self.changes.append(
            PersonMergeChange(
                merge=self.merge,
                sequence=len(self.changes) + 1,
                model=obj._meta.label,
                object_id=str(obj.pk),
                kind=kind,
                **values,
            )
        )
        self.counts[obj._meta.label] = self.counts.get(obj._meta.label, 0) + 1

    def moved(self, relation: Relation, row: models.Model, survivor_id: int) -> None:
        old = getattr(row, relation.column)
        relation.model._base_manager.filter(pk=row.pk).update(**{relation.column: survivor_id})
        self.add(
            ChangeKind.MOVED,
            row,
            field=relation.column,
            old_value=old,
            new_value=survivor_id,
        )

    def deleted(self, row: models.Model) -> None:
        snapshot = _jsonable(serializers.serialize("python", [row]))
        try:
            with transaction.atomic():
                type(row)._base_manager.filter(pk=row.pk).delete()
        except ProtectedError as exc:
            raise ValidationError(
                {
                    "merged": [
                        f"The duplicate {row._meta.verbose_name} {row} cannot be removed "
                        "because other records depend on it: resolve it before merging"
                    ]
                }
            ) from exc
        self.add(ChangeKind.DELETED, row, row=snapshot)

    def updated(self, row: models.Model, column: str, value: Any) -> None:
        old = getattr(row, column)
        if old == value:
            return
        type(row)._base_manager.filter(pk=row.pk).update(**{column: value})
        setattr(row, column, value)
        self.add(
            ChangeKind.UPDATED,
            row,
            field=column,
            old_value=_jsonable(old),
            new_value=_jsonable(value),
        )


# A clash rule resolves (returns) or refuses (raises ValidationError).
ClashRule = Callable[[_Recorder, Relation, models.Model, models.Model], None]


def _drop_duplicate(
    recorder: _Recorder, relation: Relation, row: models.Model, other: models.Model
) -> None:
    recorder.deleted(row)


def _household(
    recorder: _Recorder, relation: Relation, row: models.Model, other: models.Model
) -> None:
    assert isinstance(row, HouseholdMember) and isinstance(other, HouseholdMember)
    if row.household_id != other.household_id:
        raise ValidationError(
            {
                "merged": [
                    f"They live in different households ({other.household.name} and "
                    f"{row.household.name}): take one of them out of their household first"
                ]
            }
        )
    # Same household: one membership is enough. Removed first, so a head handing over
    # never leaves the household with two heads.
    was_head = row.relationship == Relationship.HEAD
    recorder.deleted(row)
    if was_head:
        recorder.updated(other, "relationship", Relationship.HEAD)


def _refuse(
    recorder: _Recorder, relation: Relation, row: models.Model, other: models.Model
) -> None:
    raise ValidationError(
        {
            "merged": [
                f"Both records have a {relation.model._meta.verbose_name} that may exist only "
                f"once ({other} and {row}): resolve one of them before merging"
            ]
        }
    )


def _refuse_case(
    recorder: _Recorder, relation: Relation, row: models.Model, other: models.Model
) -> None:
    lead = getattr(other, "lead_organisation", None)
    raise ValidationError(
        {
            "merged": [
                f"Both records have an active case led by {lead} ({other} and {row}): "
                "close one of them before merging"
            ]
        }
    )


CLASH_RULES: dict[str, ClashRule] = {
    "people.PersonPopulationGroup": _drop_duplicate,
    "people.HouseholdMember": _household,
    "linkage.ReviewPair": _drop_duplicate,
    "cases.Case": _refuse_case,
}


def _clash_rule(relation: Relation) -> ClashRule:
    if relation.label in CLASH_RULES:
        return CLASH_RULES[relation.label]
    if relation.model._meta.auto_created:  # a many-to-many link table: the same link twice
        return _drop_duplicate
    return _refuse


def _clean_reason(reason: str, *, what: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": [f"Enter why these records are being {what}"]})
    if len(reason) > 2000:
        raise ValidationError({"reason": ["The reason must be 2,000 characters or fewer"]})
    return reason


def _check_merge(actor: Actor, survivor: Person, merged: Person) -> None:
    decision = may_merge(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    network_id = actor.require_membership().organisation.network_id
    if survivor.pk == merged.pk:
        raise ValidationError({"merged": ["A record cannot be merged into itself"]})
    if survivor.network_id != merged.network_id or survivor.network_id != network_id:
        raise ValidationError({"merged": ["Records of different networks cannot be merged"]})
    for person in (survivor, merged):
        if not decide(actor=actor, person=person):
            raise PermissionDenied(f"You cannot see {person.reference}, so you cannot merge it")
        if person.merged_into_id is not None:
            raise ValidationError(
                {
                    "merged": [
                        f"{person.reference} has already been merged into "
                        f"P-{person.merged_into_id:06d}"
                    ]
                }
            )


def _rebuild_derived(*people: Person) -> None:
    sync_access_grants([p.pk for p in people])
    for person in people:
        person.refresh_from_db()
        refresh_search_index(person)
        refresh_match_keys(person)


def person_merge(*, actor: Actor, survivor: Person, merged: Person, reason: str) -> PersonMerge:
    """Merge ``merged`` into ``survivor``: everything moves, nothing is lost, all recorded."""
    _check_merge(actor, survivor, merged)
    reason = _clean_reason(reason, what="merged")
    membership = actor.require_membership()
    with transaction.atomic():
        # Lock both people (in id order) so two merges of the same records cannot interleave.
        locked = {
            p.pk: p
            for p in Person.objects.select_for_update()
            .filter(pk__in=[survivor.pk, merged.pk])
            .order_by("pk")
        }
        survivor, merged = locked[survivor.pk], locked[merged.pk]
        if survivor.merged_into_id or merged.merged_into_id:
            raise ValidationError({"merged": ["One of these records was just merged"]})
        merge = PersonMerge.objects.create(
            network_id=survivor.network_id,
            survivor=survivor,
            merged=merged,
            reason=reason,
            merged_by=actor.user,
            merged_by_organisation=membership.organisation,
        )
        recorder = _Recorder(merge)
        for relation in person_relations():
            rule = _clash_rule(relation)
            for row in relation.rows(merged.pk):
                other = _clash(relation, row, survivor.pk)
                if other is None:
                    recorder.moved(relation, row, survivor.pk)
                else:
                    rule(recorder, relation, row, other)
        for name in FILLED_FIELDS:
            if getattr(survivor, name) in (None, "") and getattr(merged, name) not in (None, ""):
                recorder.updated(survivor, name, getattr(merged, name))
        known = {n.casefold() for n in [survivor.full_name, *survivor.previous_names]}
        absorbed_names = [n for n in [merged.full_name, *merged.previous_names] if n]
        extra = [n for n in absorbed_names if n.casefold() not in known]
        if extra:
            recorder.updated(
                survivor, "previous_names", [*survivor.previous_names, *dict.fromkeys(extra)]
            )
        recorder.updated(merged, "merged_into_id", survivor.pk)
        PersonMergeChange.objects.bulk_create(recorder.changes)
        merge.counts = recorder.counts
        merge.save(update_fields=["counts", "updated_at"])
        _rebuild_derived(survivor, merged)
        moved = sum(n for label, n in recorder.counts.items() if label != "people.Person")
        audit_record(
            actor=actor,
            action="person.merge",
            person_id=survivor.pk,
            target=merge,
            summary=f"Merged {merged.reference} ({merged.full_name}) into this record: {reason}",
            categories=[DataCategory.IDENTITY],
            changes={"rows": [0, moved]},
        )
        audit_record(
            actor=actor,
            action="person.merge",
            person_id=merged.pk,
            target=merge,
            summary=f"Merged into {survivor.reference} ({survivor.full_name}): {reason}",
            categories=[DataCategory.IDENTITY],
            changes={"merged_into": [None, survivor.reference]},
        )
    return merge


def _restore_value(model: type[models.Model], column: str, value: Any) -> Any:
    field = model._meta.get_field(column)
    assert isinstance(field, models.Field)
    return field.to_python(value)


def person_unmerge(*, actor: Actor, merge: PersonMerge, reason: str) -> PersonMerge:
    """Undo a merge: every row it moved goes back, every duplicate it removed is re-inserted
    with its own id, every detail it filled in on the survivor is cleared again.

    Rows added to the survivor since the merge stay with the survivor. A detail changed on
    the survivor since the merge is left as it is now (and the audit says so).
    """
    decision = may_merge(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    reason = _clean_reason(reason, what="unmerged")
    merge = PersonMerge.objects.select_related("survivor", "merged").get(pk=merge.pk)
    if merge.network_id != actor.require_membership().organisation.network_id:
        raise PermissionDenied("This merge belongs to another network")
    if MergeStatus.UNDONE not in MERGE_TRANSITIONS[merge.status]:
        raise ValidationError({"merge": ["This merge has already been undone"]})
    survivor, merged = merge.survivor, merge.merged
    if not decide(actor=actor, person=survivor):
        raise PermissionDenied(f"You cannot see {survivor.reference}, so you cannot unmerge it")
    if survivor.merged_into_id is not None:
        raise ValidationError(
            {
                "merge": [
                    f"{survivor.reference} has since been merged into "
                    f"P-{survivor.merged_into_id:06d}: undo that merge first"
                ]
            }
        )
    kept: list[str] = []
    with transaction.atomic():
        merge = PersonMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.status != MergeStatus.MERGED:
            raise ValidationError({"merge": ["This merge has already been undone"]})
        for change in merge.changes.order_by("-sequence"):
            model = apps.get_model(change.model)
            manager = model._base_manager
            if change.kind == ChangeKind.DELETED:
                for obj in serializers.deserialize("python", change.row):
                    obj.save()
            elif change.kind == ChangeKind.MOVED:
                done = manager.filter(
                    pk=change.object_id, **{change.field: change.new_value}
                ).update(**{change.field: change.old_value})
                if not done:
                    kept.append(f"{model._meta.verbose_name} {change.object_id} no longer exists")
            else:
                row = manager.filter(pk=change.object_id).first()
                new = _restore_value(model, change.field, change.new_value)
                if row is None or getattr(row, change.field) != new:
                    kept.append(f"{change.field.replace('_', ' ')} was changed since the merge")
                    continue
                old = _restore_value(model, change.field, change.old_value)
                manager.filter(pk=change.object_id).update(**{change.field: old})
        merge.status = MergeStatus.UNDONE
        merge.undone_at = timezone.now()
        merge.undone_by = actor.user
        merge.undo_reason = reason
        merge.save(update_fields=["status", "undone_at", "undone_by", "undo_reason", "updated_at"])
        _rebuild_derived(survivor, merged)
        note = f" (left as now: {'; '.join(kept)})" if kept else ""
        for person in (survivor, merged):
            audit_record(
                actor=actor,
                action="person.unmerge",
                person_id=person.pk,
                target=merge,
                summary=f"Unmerged {merged.reference} from {survivor.reference}: {reason}{note}",
                categories=[DataCategory.IDENTITY],
                changes={"merged_into": [survivor.reference, None]} if person is merged else None,
            )
    return merge


def merges_for_person(*, actor: Actor, person: Person) -> list[PersonMerge]:
    """The merges a person took part in, newest first (the merge history), if the actor
    may see the person (else PersonNotFound, like any record they may not see)."""
    from wraparound.people.selectors import decide_or_404

    decide_or_404(actor=actor, person=person)
    return list(
        PersonMerge.objects.filter(Q(survivor=person) | Q(merged=person))
        .select_related("survivor", "merged", "merged_by", "merged_by_organisation", "undone_by")
        .order_by("-created_at", "-id")
    )


def merge_get(*, actor: Actor, merge_id: int) -> PersonMerge:
    """One merge, if the actor may see its survivor; else PersonNotFound."""
    from wraparound.people.selectors import PersonNotFound, decide_or_404

    merge = PersonMerge.objects.select_related("survivor", "merged").filter(pk=merge_id).first()
    if merge is None:
        raise PersonNotFound("No such merge")
    decide_or_404(actor=actor, person=merge.survivor)
    return merge
