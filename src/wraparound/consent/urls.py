from django.urls import path

from wraparound.consent import views

app_name = "consent"
urlpatterns = [
    path("emergency-access", views.break_glass, name="break_glass"),
    path("emergency-access/reviews", views.reviews, name="reviews"),
    path("emergency-access/reviews/<int:access_id>", views.review, name="review"),
]
