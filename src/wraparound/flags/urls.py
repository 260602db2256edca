from django.urls import path

from wraparound.flags import views

app_name = "flags"
urlpatterns = [
    path("", views.network_list, name="list"),
    path("person/<int:person_id>/", views.person, name="person"),
    path("<int:flag_id>/", views.detail, name="detail"),
    path("<int:flag_id>/message", views.message, name="message"),
    path("<int:flag_id>/resolve", views.resolve, name="resolve"),
]
