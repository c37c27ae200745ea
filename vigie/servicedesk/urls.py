"""Web pages of the servicedesk app (filled in by its feature work)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
