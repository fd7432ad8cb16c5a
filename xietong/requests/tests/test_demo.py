"""The demo company's requests and cases look alive: every state the README
mentions is there, the map has links, the compliance view has their days,
loading twice adds nothing."""

from datetime import timedelta

from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from xietong.compliance.models import Result, Snapshot
from xietong.compliance.snapshot import BACKFILL_DAYS, verify
from xietong.requests.models import ProposalState, Request, RequestState
from xietong.requests.queries import collaboration_map
from xietong.service.models import Case, CaseState, WeeklySummary


def test_demo_requests_and_cases(transactional_db, settings, calendar):
    # transactional_db: the demo loads into an empty database, not the personas' company (conftest).
    settings.XIETONG_DEMO = True
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    states = set(Request.objects.values_list("state", flat=True))
    assert {RequestState.SUBMITTED, RequestState.ACCEPTED, RequestState.DECLINED, RequestState.COMPLETED,
            RequestState.CONFIRMED} <= states
    assert Request.objects.filter(rating__isnull=False).count() >= 10
    assert Request.objects.filter(on_time=False).exists() and Request.objects.filter(reopen_count__gt=0).exists()
    assert Request.objects.filter(state=RequestState.ACCEPTED, due_at__lt=timezone.now()).exists(), "some are late"
    scene = Request.objects.get(title="充电方案技术评审")
    assert scene.owner is not None and scene.owner.username == "zhengkai"
    assert scene.proposals.get().state == ProposalState.PENDING
    today = timezone.localdate()
    data = collaboration_map(today - timedelta(days=60), today)
    assert len(data.links) >= 8 and data.total == Request.objects.count()
    assert {CaseState.NEW, CaseState.CLOSED} <= set(Case.objects.values_list("state", flat=True))
    # A customer who was not satisfied: their case went back for a second round.
    assert Case.objects.filter(round__gt=1, satisfaction=2).exists()
    assert WeeklySummary.objects.count() == 1
    # The compliance demo computed and sealed the days these weeks cover (docs/compliance.md): some
    # department meets the response clause in full on some day, some fails it.
    respond = Result.objects.filter(clause="S003-5-respond")
    assert respond.filter(passed=F("applies")).exists() and respond.filter(passed__lt=F("applies")).exists()
    days = Snapshot.objects.count()
    assert days == BACKFILL_DAYS and verify(Snapshot.objects.order_by("-day").first())
    count = Request.objects.count()
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Request.objects.count() == count
    assert Snapshot.objects.count() == days
