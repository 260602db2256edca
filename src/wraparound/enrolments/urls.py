from django.urls import path

from wraparound.enrolments import views

app_name = "enrolments"
urlpatterns = [
    path("", views.organisation_list, name="list"),
    path("<int:enrolment_id>/", views.detail, name="detail"),
    path("<int:enrolment_id>/events/new", views.record_event, name="record_event"),
    path("<int:enrolment_id>/end", views.end, name="end"),
    path("from-referral/<int:referral_id>", views.start_from_referral, name="start_from_referral"),
]
