from django.urls import path

from wraparound.portal import staff_views

app_name = "portal_staff"
urlpatterns = [
    path("link-requests/", staff_views.link_requests, name="link_requests"),
    path("link-requests/<int:request_id>/", staff_views.link_request, name="link_request"),
    path("people/<int:person_id>/link-code/", staff_views.link_code, name="link_code"),
]
