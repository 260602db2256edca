from django.urls import path

import wraparound.assessments.views as views

app_name = "assessments"

urlpatterns = [
    path("people/<int:person_id>/", views.person_assessments, name="for_person"),
    path("people/<int:person_id>/start/", views.start, name="start"),
    path("<int:assessment_id>/edit/", views.capture, name="capture"),
    path("<int:assessment_id>/", views.detail, name="detail"),
    path("<int:assessment_id>/override/", views.override, name="override"),
    path("overrides/", views.overrides_report, name="overrides"),
]
