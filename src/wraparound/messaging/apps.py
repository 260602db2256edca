from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "wraparound.messaging"
    label = "messaging"
