from django.contrib import admin

from wraparound.core.models import Area, Network


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "code", "parent", "network"]
    list_filter = ["network", "level"]
    search_fields = ["name", "code"]
    list_select_related = ["parent", "network"]
