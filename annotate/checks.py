"""System checks: refuse to serve without a secret key when DEBUG is off."""
from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def secret_key_required(app_configs, **kwargs) -> list[Error]:
    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to hand out an empty key
        key = ""
    if not settings.DEBUG and not key:
        return [
            Error(
                "DJANGO_SECRET_KEY is not set and DEBUG is off.",
                hint="Set DJANGO_SECRET_KEY to a long random string (./dev.sh start makes one for you), "
                "or CLAIMDESK_DEBUG=true for local development only.",
                id="claimdesk.E001",
            )
        ]
    return []
