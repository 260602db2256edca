from django.urls import path

from wraparound.documents import views

app_name = "documents"
urlpatterns = [
    path("<int:document_id>/download", views.download, name="download"),
    path("ask/<int:application_id>/", views.ask, name="ask"),
]
