from django.utils.translation import gettext_lazy as _

from xietong.platform import ModuleConfig


class ServiceConfig(ModuleConfig):
    name = "xietong.service"
    label = "service"
    verbose_name = _("Customer service")
