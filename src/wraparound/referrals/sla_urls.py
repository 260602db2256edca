"""Manager pages for SLAs (part of the ``referrals`` namespace: included by urls.py)."""

from django.urls import URLPattern, path

from wraparound.referrals import sla_views

urlpatterns: list[URLPattern] = [
    path("sla/", sla_views.report, name="sla"),
]
