"""Citizen pages of this app, under /portal/applications/."""

from django.urls import path

from wraparound.applications import portal_views as views

app_name = "portal_applications"
urlpatterns = [
    path("", views.applications, name="list"),
    path("choose/", views.choose, name="choose"),
    path("start/", views.start, name="start"),
    path("<int:draft_id>/questions/<slug:slug>/", views.step, name="step"),
    path("<int:draft_id>/check/", views.check, name="check"),
    path("sent/<int:application_id>/", views.detail, name="detail"),
    path("sent/<int:application_id>/withdraw/", views.withdraw, name="withdraw"),
]
