from django.utils.translation import gettext_lazy as _

from xietong.platform import ModuleConfig


class RequestsConfig(ModuleConfig):
    name = "xietong.requests"
    label = "requests"
    verbose_name = _("Collaboration requests")
