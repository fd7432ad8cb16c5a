from django.utils.translation import gettext_lazy as _

from xietong.platform import ModuleConfig


class DutiesConfig(ModuleConfig):
    name = "xietong.duties"
    label = "duties"
    verbose_name = _("Duty lists")
