from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "wraparound.portal"
    label = "portal"
