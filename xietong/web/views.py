from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from xietong.org.gates import member_required
from xietong.org.models import Person
from xietong.org.queries import department_head, org_chart, person_departments, person_roles


@member_required
def home(request: HttpRequest) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
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
