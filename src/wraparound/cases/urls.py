from django.urls import path

from wraparound.cases import views

app_name = "cases"
urlpatterns = [
    path("open/<int:person_id>", views.open_case, name="open"),
    path("<int:case_id>/", views.detail, name="detail"),
    path("<int:case_id>/key-worker", views.assign_key_worker, name="key_worker"),
    path("<int:case_id>/step-down", views.step_down, name="step_down"),
    path("<int:case_id>/close", views.close, name="close"),
    path("<int:case_id>/reopen", views.reopen, name="reopen"),
    path("<int:case_id>/notes", views.add_note, name="add_note"),
]
