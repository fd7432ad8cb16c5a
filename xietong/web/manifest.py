"""The shell's own declaration: the home page (docs/modules.md)."""

from django.utils.translation import gettext_lazy as _

from xietong.org.principal import always
from xietong.platform import Module, NavEntry

MODULE = Module(
    key="web",
    label=_("Home"),
    urls="xietong.web.urls",
    url_prefix="",
    nav=(NavEntry("home", _("Home"), "web:home", visible=always, order=0),),
)
