from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformConfig(AppConfig):
    name = "xietong.platform"
    label = "platform"
    verbose_name = _("Module platform")

    def ready(self) -> None:
        from . import checks  # noqa: F401 — registers the start-up checks of the manifests
