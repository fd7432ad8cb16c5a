from django.http import HttpResponse
from django.shortcuts import render

from xietong.org.gates import MemberRequest, member_required
from xietong.org.queries import department_head, org_chart, person_departments, person_roles


@member_required
def home(request: MemberRequest) -> HttpResponse:
    person = request.user
    memberships = person_departments(person)
    return render(
        request,
        "web/home.html",
        {
            "memberships": [(m, department_head(m.department)) for m in memberships],
            "roles": person_roles(person),
            "chart": org_chart(),
        },
    )
