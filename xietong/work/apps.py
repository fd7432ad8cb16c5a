from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkConfig(AppConfig):
    name = "xietong.work"
    label = "work"
    verbose_name = _("Work kernel")

    def ready(self) -> None:
        # Registers the kernel's task kinds and the task as a record type.
        from . import permissions, registry  # noqa: F401
