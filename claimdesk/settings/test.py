"""Settings for the test suite: the base settings with a throwaway key and fast hashing."""
import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("CLAIMDESK_TASK_BACKEND", "immediate")

from .base import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
CLAIMDESK_MODEL_DIR = BASE_DIR / "var" / "test-models"  # noqa: F405
