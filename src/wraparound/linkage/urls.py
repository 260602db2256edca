"""The master client index: agencies' source records of people, and how they link."""

from django.urls import path

from wraparound.linkage import views

app_name = "linkage"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("review/", views.queue, name="queue"),
    path("review/<int:pair_id>/", views.pair, name="pair"),
]
