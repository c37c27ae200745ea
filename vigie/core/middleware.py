"""Set the acting party for each web request (the API sets it again after token auth)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from vigie.core import actors


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def request_actor(request: HttpRequest, user: object) -> actors.Actor | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return actors.person(
        user,
        source_address=client_address(request),
        request_id=getattr(request, "request_id", ""),
    )


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex  # type: ignore[attr-defined]
        with actors.acting_as(request_actor(request, request.user)):
            response = self.get_response(request)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response


class LanguageMiddleware(LocaleMiddleware):
    """French unless the person chose another language (the language cookie).

    The browser's Accept-Language is ignored on purpose: a centre's image-wall PC or
    an officer's laptop set up in English must still show the French UI the
    operators are trained on.
    """

    def process_request(self, request: HttpRequest) -> None:
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if code not in dict(settings.LANGUAGES):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()
