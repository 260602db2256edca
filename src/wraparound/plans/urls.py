from django.urls import path

from wraparound.plans import views

app_name = "plans"
urlpatterns = [
    path("settings", views.plan_settings, name="settings"),
    path("person/<int:person_id>/", views.person_plans, name="person"),
    path("case/<int:case_id>/", views.case_plan, name="case"),
    path("case/<int:case_id>/start", views.start, name="start"),
    path("case/<int:case_id>/exit-plan", views.exit_plan, name="exit_plan"),
    path(
        "case/<int:case_id>/check-ins/<int:check_in_id>/done",
        views.check_in_done,
        name="check_in_done",
    ),
    path("care-plan/<int:plan_id>/edit", views.edit, name="edit"),
    path("care-plan/<int:plan_id>/goals", views.goal_add, name="goal_add"),
    path("care-plan/<int:plan_id>/agree", views.agree, name="agree"),
    path("care-plan/<int:plan_id>/print", views.print_plan, name="print"),
    path("goals/<int:goal_id>/remove", views.goal_remove, name="goal_remove"),
    path("goals/<int:goal_id>/actions", views.action_add, name="action_add"),
    path("actions/<int:action_id>/done", views.action_done, name="action_done"),
]
