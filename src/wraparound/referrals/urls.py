from django.urls import URLPattern, path

from wraparound.referrals import views
from wraparound.referrals.sla_urls import urlpatterns as sla_urlpatterns

app_name = "referrals"
urlpatterns: list[URLPattern] = [
    path("inbox/", views.inbox, name="inbox"),
    path("sent/", views.sent, name="sent"),
    path("my-people/", views.my_people, name="my_people"),
    path("new/", views.new, name="new"),
    path("person/<int:person_id>/", views.for_person, name="for_person"),
    path("<int:referral_id>/", views.detail, name="detail"),
    path("<int:referral_id>/transition", views.transition, name="transition"),
    path("<int:referral_id>/first-contact", views.first_contact, name="first_contact"),
    path("<int:referral_id>/documents", views.attach, name="attach"),
    path("documents/<int:attachment_id>", views.attachment, name="attachment"),
    *sla_urlpatterns,
]
