"""Manager and network-admin pages for SLAs, calendars and waitlists (part of the
``referrals`` namespace: included by urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
