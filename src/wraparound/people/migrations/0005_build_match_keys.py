"""Build the online-matching keys of the people registered before they existed."""

from django.db import migrations


def build(apps, schema_editor):  # type: ignore[no-untyped-def]
    # The keys are a pure function of a person's identity fields, so the current code can
    # compute them from the historical model's rows.
    from wraparound.people.matching import MatchInput, match_keys

    Person = apps.get_model("people", "Person")
    PersonMatchKey = apps.get_model("people", "PersonMatchKey")
    batch = []
    for person in Person.objects.filter(merged_into__isnull=True).iterator(chunk_size=2000):
        keys = match_keys(MatchInput.from_person(person))
        batch += [
            PersonMatchKey(person_id=person.pk, network_id=person.network_id, key=key)
            for key in sorted(keys)
        ]
        if len(batch) >= 10000:
            PersonMatchKey.objects.bulk_create(batch)
            batch = []
    PersonMatchKey.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("people", "0004_matching_and_merge")]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
