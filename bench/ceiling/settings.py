"""The ceiling of bench/over_http.py: a bare Django app over one table on the
same PostgreSQL, served the same way (gunicorn, 4 workers), with no sign-in,
no middleware and no audit — what Django itself costs for a list with a
count, a create and an update. Not part of the product."""

import os

import dj_database_url

SECRET_KEY = os.environ.get("CEILING_SECRET_KEY", "bench-ceiling-not-secret")  # a local benchmark only
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["bench.ceiling"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.ceiling.urls"
# The same database options as the product (prepared statements), so that the
# ratio measures what the product adds, not a setting.
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=600)}
DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
