"""The printable 审批单 (approval form) with its whole trail, as PDF with
Chinese text (WeasyPrint; fonts from Debian's fonts-noto-cjk)."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from xietong.audit.history import history_shown
from xietong.org.models import Person

from .models import Approval
from .queries import form_rows, timeline
from .routing import explain


def approval_pdf(approval: Approval, *, viewer: Person, request: HttpRequest | None = None) -> bytes:
    from weasyprint import HTML

    steps = timeline(approval)
    html = render_to_string("approvals/print.html", {
        "approval": approval, "rows": form_rows(approval), "steps": steps,
        "explanations": {s.pk: [explain(e) for e in s.explanation] for s in steps},
        "ccs": approval.ccs.select_related("person").order_by("created_at"),
        "history": history_shown(viewer, approval), "printed_at": timezone.now(),
    }, request=request)
    return HTML(string=html).write_pdf()
