"""The workstation's WSGI application (gunicorn, started by `serve`)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifeline.workstation.settings")
application = get_wsgi_application()
