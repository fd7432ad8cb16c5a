from django.utils.translation import gettext_lazy as _

from xietong.platform import ModuleConfig


class ApprovalsConfig(ModuleConfig):
    name = "xietong.approvals"
    label = "approvals"
    verbose_name = _("Approvals")
