from django.db.models import QuerySet

from .models import Note


def notes() -> QuerySet[Note]:
    return Note.objects.select_related("department", "created_by").order_by("-created_at", "-pk")
