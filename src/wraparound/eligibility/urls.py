from django.urls import URLPattern

app_name = "eligibility"
urlpatterns: list[URLPattern] = []
