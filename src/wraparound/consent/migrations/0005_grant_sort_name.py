from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_sort_names(apps, schema_editor):  # type: ignore[no-untyped-def]
    AccessGrant = apps.get_model("consent", "AccessGrant")
    Person = apps.get_model("people", "Person")
    AccessGrant.objects.update(
        sort_name=Subquery(Person.objects.filter(pk=OuterRef("person_id")).values("sort_name"))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0004_granted_name_tokens"),
        ("people", "0005_build_match_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="accessgrant",
            name="sort_name",
            field=models.CharField(default="", editable=False, max_length=210),
        ),
        migrations.RunPython(copy_sort_names, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="accessgrant",
            index=models.Index(
                fields=["recipient", "sort_name", "person", "valid_until", "valid_from"],
                name="access_grant_ordered",
            ),
        ),
    ]
