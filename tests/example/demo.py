from xietong.org.actions import role_grant
from xietong.org.models import Department, Person

from .actions import note_create
from .models import Note
from .roles import EDITOR


def load_demo_example() -> str:
    if Note.objects.exists():
        return "example: already loaded"
    admin = Person.objects.filter(is_superuser=True).order_by("pk").first()
    department = Department.objects.filter(kind="department", is_active=True).order_by("path").first()
    if admin is None or department is None:
        return "example: no company to add notes to"
    role_grant(actor=admin, person=admin, role=EDITOR)
    note_create(actor=admin, department=department, title="A note from the example module")
    return "example: 1 note"
