"""Citizen pages under /portal/. Other apps add theirs (applications, documents, messages)
from their own ``portal_urls`` modules."""

from django.urls import URLPattern, URLResolver, path

from wraparound.portal import check_views, record_views, views

app_name = "portal"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("language/<str:code>/", views.language, name="language"),
    path("sign-in/", views.sign_in_start, name="sign_in"),
    path("sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("sign-in/password/", views.sign_in_password, name="sign_in_password"),
    path("sign-in/link/<str:token>/", views.sign_in_link, name="sign_in_link"),
    path("sign-out/", views.sign_out_view, name="sign_out"),
    path("link/", views.link, name="link"),
    path("switch/", views.switch, name="switch"),
    path("account/", views.account, name="account"),
    path(
        "account/helpers/<int:intermediary_id>/stop/",
        views.intermediary_revoke,
        name="intermediary_revoke",
    ),
    path("home/", record_views.dashboard, name="dashboard"),
    path("plan/", record_views.plan, name="plan"),
    path("plan/actions/<int:action_id>/", record_views.plan_action, name="plan_action"),
    path("appointments/", record_views.appointments, name="appointments"),
    path(
        "appointments/<int:appointment_id>/change/",
        record_views.appointment_change,
        name="appointment_change",
    ),
    path("my-data/", record_views.my_data, name="my_data"),
    path(
        "my-data/consents/<int:consent_id>/withdraw/",
        record_views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("my-data/who-looked/", record_views.who_looked, name="who_looked"),
    path("my-data/download.<str:fmt>", record_views.download, name="download"),
    path("check/", check_views.start, name="check"),
    path("check/questions/<slug:slug>/", check_views.question, name="check_question"),
    path("check/answers/", check_views.answers, name="check_answers"),
    path("check/results/", check_views.results, name="check_results"),
    path("check/clear/", check_views.clear, name="check_clear"),
]
