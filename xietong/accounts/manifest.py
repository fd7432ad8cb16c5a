"""Sign-in, passwords and API tokens (ACC; docs/modules.md)."""

from django.utils.translation import gettext_lazy as _

from xietong.org.principal import always
from xietong.platform import Module, NavEntry

MODULE = Module(
    key="accounts",
    label=_("Sign-in and API tokens"),
    urls="xietong.accounts.urls",
    nav=(NavEntry("tokens", _("API tokens"), "accounts:tokens", visible=always, order=150),),
)
