from django.contrib import admin

from wraparound.directory.models import (
    Location,
    Organisation,
    Program,
    Schedule,
    Service,
    ServiceNeed,
    Taxonomy,
    TaxonomyTerm,
)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "sector", "kind", "is_lead", "network"]
    list_filter = ["network", "sector", "kind", "is_lead"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class ServiceNeedInline(admin.TabularInline):
    model = ServiceNeed
    extra = 1


class ScheduleInline(admin.StackedInline):
    model = Schedule
    fk_name = "service"
    extra = 0
    fields = ["freq", "interval", "byday", "bymonthday", "opens_at", "closes_at", "description"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "organisation",
        "status",
        "priority_class",
        "capacity_available",
        "capacity_total",
        "accepts_referrals",
    ]
    list_filter = ["status", "priority_class", "accepts_referrals", "organisation__network"]
    search_fields = ["name", "organisation__name"]
    inlines = [ServiceNeedInline, ScheduleInline]
    readonly_fields = ["hsds_id"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation"]
    search_fields = ["name"]
    readonly_fields = ["hsds_id"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "area", "location_type"]
    search_fields = ["name"]
    readonly_fields = ["hsds_id"]


@admin.register(Taxonomy)
class TaxonomyAdmin(admin.ModelAdmin):
    list_display = ["name", "version"]
    readonly_fields = ["hsds_id"]


@admin.register(TaxonomyTerm)
class TaxonomyTermAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "taxonomy"]
    search_fields = ["name", "code"]
    readonly_fields = ["hsds_id"]
