from django.urls import URLPattern, path

from wraparound.referrals import views
from wraparound.referrals.sla_urls import urlpatterns as sla_urlpatterns

app_name = "referrals"
urlpatterns: list[URLPattern] = [
    path("<int:referral_id>/", views.detail, name="detail"),
    *sla_urlpatterns,
]
