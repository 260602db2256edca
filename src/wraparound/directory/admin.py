from django.contrib import admin

from wraparound.directory.models import Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "sector", "kind", "is_lead", "network"]
    list_filter = ["network", "sector", "kind", "is_lead"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
