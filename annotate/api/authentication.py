"""How API clients authenticate: the browser's session, or HTTP Basic for scripts."""
from __future__ import annotations

from django.conf import settings
from drf_spectacular.authentication import BasicScheme
from rest_framework.authentication import BasicAuthentication
from rest_framework.request import Request

# Sent by browsers on requests a page's script makes (fetch, XHR), never by curl or wget.
SCRIPT_FETCH_MODES = frozenset({"cors", "same-origin", "no-cors"})


class ChallengingBasicAuthentication(BasicAuthentication):
    """HTTP Basic that answers an unauthenticated script client with 401 and a Basic challenge,
    as clients that wait for one (wget, `curl --anyauth`) need; listed first, DRF takes its
    challenge for the 401. A browser's own page is not challenged: its requests carry the
    session cookie or come from its scripts, and a challenge there would open the browser's
    password dialog instead of the page's own "log in again" message (they get 403 as before)."""

    def authenticate_header(self, request: Request) -> str | None:
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            return None
        if request.META.get("HTTP_SEC_FETCH_MODE", "") in SCRIPT_FETCH_MODES:
            return None
        return super().authenticate_header(request)


class ChallengingBasicScheme(BasicScheme):
    """The schema describes it as the HTTP Basic it is (drf-spectacular matches exact classes)."""

    target_class = ChallengingBasicAuthentication
