"""Citizen pages of this app, under /portal/documents/."""

from django.urls import path

from wraparound.documents import portal_views as views

app_name = "portal_documents"
urlpatterns = [
    path("", views.documents, name="list"),
    path("<int:document_id>/download", views.download, name="download"),
]
