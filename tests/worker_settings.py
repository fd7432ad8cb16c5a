"""The product's settings plus a module with a failing sweep (tests/boom), for
the worker subprocess of tests/test_worker_resilience.py."""

from xietong.settings import *  # noqa: F403
from xietong.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.boom.apps.BoomConfig"]
