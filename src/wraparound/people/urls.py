from django.urls import path

from wraparound.people import views

app_name = "people"
urlpatterns = [
    path("", views.search, name="search"),
    path("new", views.create, name="create"),
    path("<int:person_id>/", views.record, name="record"),
    path("<int:person_id>/edit", views.edit, name="edit"),
    path("<int:person_id>/household", views.household_edit, name="household"),
    path("<int:person_id>/identifiers", views.identifier_add, name="identifier_add"),
    path(
        "<int:person_id>/identifiers/<int:identifier_id>/remove",
        views.identifier_remove,
        name="identifier_remove",
    ),
]
