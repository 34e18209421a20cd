"""WSGI entry point, e.g. `gunicorn claimdesk.wsgi`."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "claimdesk.settings.base")
application = get_wsgi_application()
