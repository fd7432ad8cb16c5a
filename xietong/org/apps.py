from django.utils.translation import gettext_lazy as _

from xietong.platform import ModuleConfig


class OrgConfig(ModuleConfig):
    name = "xietong.org"
    label = "org"
    verbose_name = _("Organization")
