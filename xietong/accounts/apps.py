from django.utils.translation import gettext_lazy as _

from xietong.platform import ModuleConfig


class AccountsConfig(ModuleConfig):
    name = "xietong.accounts"
    label = "accounts"
    verbose_name = _("Sign-in and API tokens")

    def module_ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from . import receivers

        user_logged_in.connect(receivers.signed_in, dispatch_uid="xietong.sign_in")
        user_logged_out.connect(receivers.signed_out, dispatch_uid="xietong.sign_out")
        user_login_failed.connect(receivers.failed, dispatch_uid="xietong.sign_in_failed")
        user_locked_out.connect(receivers.locked, dispatch_uid="xietong.locked_out")
