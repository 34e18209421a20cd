"""System checks: refuse to serve without a secret key when DEBUG is off; say when the static
files were never collected."""
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Warning, register
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


@register()
def static_files_collected(app_configs, **kwargs) -> list[Warning]:
    """With DEBUG off the pages link hashed, compressed static files that `collectstatic` makes;
    without them they are served uncompressed and uncached (`annotate.storage`)."""
    manifest_storage = settings.STORAGES["staticfiles"]["BACKEND"] == "annotate.storage.StaticFilesStorage"
    if manifest_storage and not (Path(settings.STATIC_ROOT) / "staticfiles.json").is_file():
        return [
            Warning(
                f"The static files are not collected into {settings.STATIC_ROOT}.",
                hint="Run `python manage.py collectstatic --noinput` (./dev.sh start does).",
                id="claimdesk.W001",
            )
        ]
    return []
