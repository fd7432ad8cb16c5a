"""GET /items/?owner=N (25 rows and the count), POST /items/ (create),
POST /items/<id>/ (update the state)."""

import json

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from .models import Item


@csrf_exempt
def items(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        body = json.loads(request.body)
        now = timezone.now()
        item = Item.objects.create(owner=int(body["owner"]), title=str(body["title"])[:200], created_at=now,
                                   updated_at=now)
        return JsonResponse({"id": item.pk}, status=201)
    rows = Item.objects.filter(owner=int(request.GET["owner"]), state="open")
    page = [{"id": i.pk, "title": i.title, "state": i.state, "created_at": i.created_at.isoformat()}
            for i in rows.order_by("-id")[:25]]
    return JsonResponse({"items": page, "count": rows.count()})


@csrf_exempt
def item(request: HttpRequest, pk: int) -> JsonResponse:
    body = json.loads(request.body)
    found = Item.objects.get(pk=pk)
    found.state, found.note, found.updated_at = str(body["state"]), str(body.get("note", "")), timezone.now()
    found.save(update_fields=["state", "note", "updated_at"])
    return JsonResponse({"id": found.pk, "state": found.state})


urlpatterns = [path("items/", items), path("items/<int:pk>/", item)]
