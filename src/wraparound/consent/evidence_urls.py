"""Signed consent forms, under /consent/evidence/."""

from django.urls import path

from wraparound.consent import evidence_views

app_name = "consent_evidence"
urlpatterns = [
    path("<int:consent_id>/", evidence_views.upload, name="upload"),
    path("document/<int:evidence_id>", evidence_views.download, name="download"),
]
