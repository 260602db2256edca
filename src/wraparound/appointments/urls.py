from django.urls import path

from wraparound.appointments import views

app_name = "appointments"
urlpatterns = [
    path("person/<int:person_id>/", views.person, name="person"),
    path("mine/", views.mine, name="mine"),
    path("mine/feed-link", views.rotate_feed, name="rotate_feed"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
]
