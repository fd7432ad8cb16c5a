from django.utils.translation import gettext_lazy as _

from xietong.platform import ModuleConfig


class WebConfig(ModuleConfig):
    name = "xietong.web"
    label = "web"
    verbose_name = _("Web interface")

    def module_ready(self) -> None:
        # Once per process, before any URLconf is built: `<id:pk>` and
        # `<n:number>` (web.converters). Not in urls.py, which is imported
        # again after an error there (runserver would then fail forever).
        from . import converters

        converters.register()
