"""Request checks that hold for every write of the REST API, whatever the view."""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.permissions import SAFE_METHODS

# The review page sends the id of the user it was opened for with every write. A page whose
# session ended is told so (logged_out) and keeps its changes, and sends them again once someone
# logs in: never as another person's work (a shared newsroom computer, or two accounts).
PAGE_USER_HEADER = "X-ClaimDesk-User"


class PageUserMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        page_user = request.headers.get(PAGE_USER_HEADER)
        if page_user is None or request.method in SAFE_METHODS or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not request.user.is_authenticated:
            if "Authorization" in request.headers:
                # A script with HTTP Basic, which DRF authenticates later, in the view: no page's
                # session to compare with (QA12: it was refused as "logged in as ''").
                return self.get_response(request)
            # Said by a code, so the page need not read DRF's wording: it keeps the work and retries.
            return JsonResponse({"detail": "You are logged out: log in again to save this page's work.",
                                 "code": "logged_out"}, status=403)
        if str(request.user.pk) != page_user:
            return JsonResponse({
                "detail": f"This page holds another person's work, and you are logged in as "
                          f"{request.user.get_username()}: log in as the page's user to save it.",
                "code": "other_user",
            }, status=403)
        return self.get_response(request)
