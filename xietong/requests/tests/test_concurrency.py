"""Two people acting on one request at once: exactly one wins (both databases)."""

import threading

import pytest
from django.db import connections

from xietong.errors import Conflict
from xietong.org import actions as org
from xietong.requests import actions as a
from xietong.requests.models import Request, RequestState
from xietong.work.models import Task


@pytest.mark.django_db(transaction=True)
def test_accept_and_decline_at_once_one_wins(company, calendar):
    org.liaison_set(actor=company.admin, department=company.tech, person=company.rd1_lead)
    r = a.request_submit(actor=company.employee, to_department=company.tech, title="并发")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(fn):
        try:
            barrier.wait()
            fn()
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(lambda: a.request_accept(actor=company.rd1_lead, request=r,
                                                                    owner=company.engineer),)),
        threading.Thread(target=run, args=(lambda: a.request_decline(actor=company.tech_head, request=r,
                                                                     reason="忙"),)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    r.refresh_from_db()
    assert r.state in (RequestState.ACCEPTED, RequestState.DECLINED)
    respond = Task.objects.filter(subject_type="requests.request", subject_id=str(r.pk), kind=a.KIND_RESPOND)
    assert [t.state for t in respond] == ["done"]
    assert Task.objects.filter(kind=a.KIND_DELIVER).count() == (1 if r.state == RequestState.ACCEPTED else 0)
    assert Request.objects.count() == 1
