from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from xietong.org.gates import member_required

from .queries import notes


@member_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "example/index.html", {"notes": notes()[:50]})
