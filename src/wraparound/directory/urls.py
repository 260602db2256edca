from django.urls import path

from wraparound.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.service_list, name="services"),
    path("services/<int:service_id>/", views.service_detail, name="service"),
]
