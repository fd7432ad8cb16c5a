from typing import Any

from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from xietong.platform import ModuleConfig


def sqlite_wal(using: str = "default", **kwargs: Any) -> None:
    """WAL (readers beside the one writer) is a property of a SQLite file: set
    once, when it is migrated (`xietong setup`, a test database), not on every
    connection — a connection that asks for it fails on a read-only data
    folder, reads included."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")


class WorkConfig(ModuleConfig):
    name = "xietong.work"
    label = "work"
    verbose_name = _("Work kernel")

    def module_ready(self) -> None:
        post_migrate.connect(sqlite_wal, sender=self, dispatch_uid="xietong.work.sqlite_wal")
