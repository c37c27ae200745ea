"""The base of every filter set: related-object choices restricted to the request's user.

django-filter builds the filters of foreign keys (``site``, ``node``…) once, when the
class is created, with ``Model._default_manager``. For a restricted model that queryset
is frozen to whoever was acting at import time: nobody (the filter refuses every
value) or, worse, the first user of the process (their objects offered to everyone).
Each filter set instance therefore re-restricts those choices to its request's user.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet


class RestrictedFilterSet(django_filters.FilterSet):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        for flt in self.filters.values():  # a per-instance copy of the class's filters
            queryset = getattr(flt, "queryset", None)
            if isinstance(queryset, QuerySet) and hasattr(queryset.model.objects, "unrestricted"):
                flt.queryset = queryset.model.objects.restrict(user, "view")
                flt.__dict__.pop("_field", None)  # a form field built from the old one
