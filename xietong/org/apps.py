from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "xietong.org"
    label = "org"
    verbose_name = _("Organization")

    def ready(self) -> None:
        from django.urls import reverse

        from xietong.work.registry import SubjectType, register_subject

        from .models import Department, Person
        from .permissions import can_manage_org, can_manage_people

        # Their history, comments and files are for those who may edit them,
        # as on their own pages (a person's history holds personal data).
        register_subject(SubjectType(
            "org.department", _("department"), can_view=lambda person, _pk: can_manage_org(person),
            url=lambda pk: reverse("org:department", args=[pk]), model=Department))
        register_subject(SubjectType(
            "org.person", _("person"),
            can_view=lambda person, pk: str(person.pk) == pk or can_manage_people(person),
            url=lambda pk: reverse("org:person", args=[pk]), model=Person,
            personal_fields=("email", "phone"),
            sees_personal=lambda viewer, pk: str(viewer.pk) == pk or can_manage_people(viewer)))
