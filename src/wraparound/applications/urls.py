from django.urls import path

from wraparound.applications import views

app_name = "applications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:application_id>/", views.detail, name="detail"),
]
