from django.apps import AppConfig


class AnnotateConfig(AppConfig):
    name = "annotate"
    verbose_name = "ClaimDesk annotation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from annotate import checks  # noqa: F401  (registers the system checks)
