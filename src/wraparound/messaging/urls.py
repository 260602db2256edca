from django.urls import path

from wraparound.messaging import views

app_name = "messaging"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:thread_id>/", views.thread, name="thread"),
    path("new/<int:person_id>/", views.new, name="new"),
]
