"""Pages for the provider registry and care services (section 6 of the form); included by care/urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
