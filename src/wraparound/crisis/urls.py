from django.urls import path

from wraparound.crisis import views

app_name = "crisis"
urlpatterns = [
    path("person/<int:person_id>/", views.person_events, name="person"),
    path("person/<int:person_id>/record", views.record, name="record"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert, name="alert"),
    path("alerts/<int:alert_id>/reopen", views.alert_reopen, name="alert_reopen"),
    path("alerts/<int:alert_id>/dismiss", views.alert_dismiss, name="alert_dismiss"),
]
