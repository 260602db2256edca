"""Manager pages for SLAs (part of the ``referrals`` namespace: included by urls.py)."""

from django.urls import URLPattern, path

from wraparound.referrals import sla_views

urlpatterns: list[URLPattern] = [
    path("sla/", sla_views.report, name="sla"),
    path("services/<int:service_id>/waitlist/", sla_views.waitlist, name="waitlist"),
    path("services/<int:service_id>/waitlist/offer", sla_views.offer_next, name="offer_next"),
]
