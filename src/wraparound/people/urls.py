from django.urls import path

from wraparound.consent import views as consent_views
from wraparound.people import merge_views, views

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
    # Merging two records of the same person (people/merge.py)
    path("<int:person_id>/merge", merge_views.merge, name="merge"),
    path("<int:person_id>/merges", merge_views.merge_history, name="merge_history"),
    path("merges/<int:merge_id>/unmerge", merge_views.unmerge, name="unmerge"),
    # Sharing and consent (the trust layer's pages about one person: consent/views.py)
    path("<int:person_id>/consents/new", consent_views.consent_new, name="consent_new"),
    path(
        "<int:person_id>/consents/<int:consent_id>/withdraw",
        consent_views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("<int:person_id>/legal-bases/new", consent_views.legal_basis_new, name="legal_basis_new"),
    path(
        "<int:person_id>/legal-bases/<int:basis_id>/end",
        consent_views.legal_basis_end,
        name="legal_basis_end",
    ),
    path("<int:person_id>/access-log", consent_views.access_log_page, name="access_log"),
    path("<int:person_id>/access-log.csv", consent_views.access_log_csv, name="access_log_csv"),
    path(
        "<int:person_id>/address-withholding",
        consent_views.address_withholding,
        name="address_withholding",
    ),
]
