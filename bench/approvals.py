"""Benchmark of the approvals engine (issue 4): submit + full approval of a
three-node flow (采购申请 of 60 万: department head → finance → CEO), per
second, with 1 and 4 processes, beside the kernel floor measured in the same
run: the same kernel work done through the kernel's own actions alone (three
tasks created and completed, with their events and notifications).

    .venv/bin/python bench/approvals.py                # 2,000 people, 100 departments
    .venv/bin/python bench/approvals.py --ops 100      # a quick run

The database (default postgres://postgres@127.0.0.1:5432/xietong_bench_approvals)
is dropped and rebuilt. Figures go to stdout and bench/results/approvals.json.
"""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402 — after the path is set
    build_company,
    django_setup,
    log,
    parser,
    per_second,
    recreate_database,
    results_dir,
)

p = parser(__doc__, env="BENCH_APPROVALS_DATABASE_URL", database="xietong_bench_approvals", ops=300, what="approvals")
ARGS = p.parse_args()
django_setup(ARGS.database)

from django.db import connections


def build() -> None:
    """A company: departments under one root, each with a head; everyone else
    a member of one; a finance team and a CEO."""
    from xietong.approvals.builtin import builtin_install
    from xietong.org.models import Role, RoleAssignment

    recreate_database(ARGS.database)
    _root, hq, _departments, people = build_company(people=ARGS.people, departments=ARGS.departments)
    hq.head = people[-1]
    hq.save(update_fields=["head"])
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(person=people[-2 - n], role=Role.FINANCE) for n in range(3)]
        + [RoleAssignment(person=people[-1], role=Role.CEO), RoleAssignment(person=people[0], role=Role.ADMIN)])
    builtin_install()
    log(f"built: {ARGS.people} people, {ARGS.departments} departments")


def _worker(args: tuple[int, int, str]) -> tuple[int, float]:
    worker, ops, mode = args
    connections.close_all()
    from xietong.approvals.actions import approval_approve, approval_submit
    from xietong.approvals.models import ApproverState, FlowTemplate, StepApprover
    from xietong.org.models import Department, Person
    from xietong.work.actions import task_complete, task_create
    from xietong.work.registry import TODO

    template = FlowTemplate.objects.select_related("current_version", "admin").get(key="purchase")
    departments = list(Department.objects.filter(kind="department").select_related("head").order_by("pk"))
    heads = {d.head_id for d in departments}
    applicants = [p for p in Person.objects.filter(primary_department__in=departments).select_related(
        "primary_department").order_by("pk")[worker * 40: worker * 40 + 400] if p.pk not in heads][:40]
    t = time.perf_counter()
    for i in range(ops):
        applicant = applicants[i % len(applicants)]
        if mode == "approvals":
            approval = approval_submit(actor=applicant, template=template, data={
                "item": f"bench {worker}-{i}", "category": "it", "amount": "600000", "reason": "bench"})
            for _node in range(3):
                a = StepApprover.objects.select_related("task__assignee").filter(
                    approval=approval, state=ApproverState.PENDING).first()
                assert a is not None and a.task is not None and a.task.assignee is not None
                approval_approve(actor=a.task.assignee, approval=approval.pk, approver_id=a.pk)
        else:
            # The kernel floor: three tasks created and completed through the kernel's actions.
            for node in range(3):
                head = applicant.primary_department.head if node == 0 and applicant.primary_department else applicant
                assert head is not None
                task = task_create(kind=TODO, title=f"floor {worker}-{i}", subject=("bench.floor", f"{worker}-{i}"),
                                   actor=applicant, assignee=head, requester=applicant, due_working_hours=16)
                task_complete(actor=head, task=task)
    return ops, time.perf_counter() - t


def run(processes: int, mode: str) -> float:
    return per_second(_worker, processes=processes, ops=ARGS.ops, mode=mode, offset=8 if mode == "kernel" else 0)


def main() -> None:
    build()
    from xietong.approvals.models import Approval

    figures: dict = {"cores": os.cpu_count(), "people": ARGS.people, "departments": ARGS.departments,
                     "ops_per_process": ARGS.ops}
    run(1, "approvals")  # warm-up: first plans, caches, autovacuum of a fresh database
    for processes in (1, 4):
        approvals = run(processes, "approvals")
        floor = run(processes, "kernel")
        figures[f"{processes}_process"] = {"approvals_per_second": round(approvals, 1),
                                           "kernel_floor_per_second": round(floor, 1),
                                           "share_of_floor": round(approvals / floor, 2)}
        log(f"x{processes}: {approvals:.1f} approvals/s (submit + 3 approvals) beside the kernel floor "
            f"{floor:.1f}/s (3 tasks created + completed)")
    figures["scaling_4_vs_1"] = round(figures["4_process"]["approvals_per_second"]
                                      / figures["1_process"]["approvals_per_second"], 2)
    approved = Approval.objects.filter(state="approved").count()
    figures["approved_in_database"] = approved
    (results_dir() / "approvals.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
