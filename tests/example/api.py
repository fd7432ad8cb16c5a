from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from xietong.org.gates import api_member

from .queries import notes

router = Router(tags=["example"])


class NoteOut(Schema):
    id: int
    title: str
    department: str


@router.get("/notes", response=list[NoteOut], summary="Notes (an example module)")
def note_list(request: HttpRequest) -> Any:
    api_member(request)
    return [{"id": n.pk, "title": n.title, "department": n.department.name} for n in notes()[:50]]
