"""The product's settings plus the example module (tests/example), which the
suite runs beside the product's own to prove that a module declared only in
its manifest and INSTALLED_APPS is wired everywhere (tests/test_modules.py)."""

from xietong.settings import *  # noqa: F403
from xietong.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.example"]
