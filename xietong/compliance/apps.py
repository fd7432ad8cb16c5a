from django.utils.translation import gettext_lazy as _

from xietong.platform import ModuleConfig


class ComplianceConfig(ModuleConfig):
    name = "xietong.compliance"
    label = "compliance"
    verbose_name = _("Compliance")

    def module_ready(self) -> None:
        from . import checks  # noqa: F401 — registers the catalogue's start-up checks
