from django.utils.translation import gettext_lazy as _

from xietong.platform import ModuleConfig


class PolicyConfig(ModuleConfig):
    name = "xietong.policy"
    label = "policy"
    verbose_name = _("Policy and calendar")
