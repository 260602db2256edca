from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "wraparound.referrals"
    label = "referrals"
