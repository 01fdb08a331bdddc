"""Django settings for driving django-connectwise (PyPI, KerkhoffTechnologies) unchanged against
the mock: its models in a throwaway SQLite file, its credentials from the CW_* lines the mock
prints."""

import os

SECRET_KEY = "mock-only"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django_extensions", "djconnectwise"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["DJ_DB"]}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
MEDIA_ROOT = os.path.join(os.path.dirname(os.environ["DJ_DB"]), "media")
CONNECTWISE_SERVER_URL = os.environ["CW_URL"]
CONNECTWISE_CREDENTIALS = {
    "company_id": os.environ["CW_COMPANY"],
    "api_public_key": os.environ["CW_PUBLIC_KEY"],
    "api_private_key": os.environ["CW_PRIVATE_KEY"],
}
CONNECTWISE_CLIENTID = os.environ["CW_CLIENT_ID"]
LOGGING = {
    "version": 1,
    "handlers": {"err": {"class": "logging.StreamHandler"}},
    "loggers": {"djconnectwise": {"handlers": ["err"], "level": "WARNING"}},
}
