from django.urls import path

from wraparound.referrals import views

app_name = "referrals"
urlpatterns = [
    path("<int:referral_id>/", views.detail, name="detail"),
]
