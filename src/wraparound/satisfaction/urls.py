from django.urls import path

from wraparound.satisfaction import staff_views, views

app_name = "satisfaction"
urlpatterns = [
    path("thank-you/", views.thanks, name="thanks"),
    path("case/<int:case_id>/<str:trigger>/", staff_views.record, name="record"),
    path("<str:token>/", views.answer, name="answer"),
]
