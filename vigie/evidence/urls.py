"""Web pages of the evidence app (filled in by its feature work)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
