"""Citizen pages of this app, under /portal/messages/."""

from django.urls import path

from wraparound.messaging import portal_views as views

app_name = "portal_messaging"
urlpatterns = [
    path("", views.threads, name="list"),
    path("new/", views.new, name="new"),
    path("<int:thread_id>/", views.thread, name="thread"),
]
