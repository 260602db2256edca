from django.urls import path

from wraparound.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.index, name="index"),
    path("configuration/", views.configuration, name="configuration"),
    path("<slug:code>/", views.report_page, name="report"),
    path("<slug:code>/<slug:table>.csv", views.report_csv, name="report_csv"),
]
