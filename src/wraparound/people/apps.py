from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "wraparound.people"
    label = "people"
