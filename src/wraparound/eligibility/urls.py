from django.urls import path

from wraparound.eligibility import views

app_name = "eligibility"
urlpatterns = [
    path("people/<int:person_id>/", views.person_screening, name="person"),
    path("people/<int:person_id>/circumstances", views.circumstances, name="circumstances"),
    path("rules/", views.rules, name="rules"),
    path("rules/<str:kind>/<int:target_id>", views.rule_edit, name="rule_edit"),
    path("parameters/", views.parameters, name="parameters"),
    path("parameters/new", views.parameter_new, name="parameter_new"),
    path("parameters/<int:parameter_id>/", views.parameter_detail, name="parameter"),
    path("gaps/", views.gaps, name="gaps"),
    path("gaps.csv", views.gaps_csv, name="gaps_csv"),
]
