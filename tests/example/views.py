from django.http import HttpResponse
from django.shortcuts import render

from xietong.org.gates import MemberRequest, member_required

from .queries import notes


@member_required
def index(request: MemberRequest) -> HttpResponse:
    return render(request, "example/index.html", {"notes": notes()[:50]})
