"""The approval pages: access for people who must not get in, the journeys
over HTTP, query counts, the PDF."""

import pytest
from django.urls import reverse

from xietong.approvals.models import (
    Approval,
    ApprovalState,
    FlowTemplate,
    FlowVersion,
    VersionState,
)
from xietong.testing import NAV_QUERIES

from .conftest import mine, pending_names, purchase

FORM = {"title": "", "f_item": "显示器", "f_category": "it", "f_amount": "80000", "f_reason": "扩容",
        "f_lines_0_name": "显示器", "f_lines_0_quantity": "20", "f_lines_0_unit_price": "4000"}


def test_signed_out_people_are_sent_to_sign_in(client, builtins):
    for url in (reverse("approvals:index"), reverse("approvals:apply", args=["purchase"])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_outsider_gets_403_everywhere(as_, builtins):
    c = builtins
    approval = purchase(c.employee, 100)
    client = as_(c.outsider)
    for url in (reverse("approvals:index"), reverse("approvals:new"), reverse("approvals:apply", args=["purchase"]),
                reverse("approvals:detail", args=[approval.pk]), reverse("approvals:templates")):
        assert client.get(url).status_code == 403, url


def test_a_colleague_not_involved_gets_404_and_cannot_act(as_, builtins):
    c = builtins
    approval = purchase(c.employee, 80000)
    client = as_(c.engineer)
    assert client.get(reverse("approvals:detail", args=[approval.pk])).status_code == 404
    assert client.get(reverse("approvals:pdf", args=[approval.pk])).status_code == 404
    response = client.post(reverse("approvals:approve", args=[approval.pk]),
                           {"approver": mine(c.sales_head, approval).pk})
    assert response.status_code == 404
    assert pending_names(approval) == ["chenjing"]


def test_auditors_see_any_approval(as_, builtins):
    c = builtins
    approval = purchase(c.employee, 80000)
    assert as_(c.auditor).get(reverse("approvals:detail", args=[approval.pk])).status_code == 200


def test_system_templates_are_not_open_for_applications(as_, builtins):
    assert as_(builtins.employee).get(reverse("approvals:apply", args=["template_publish"])).status_code == 404


def test_apply_then_approve_over_http(as_, builtins):
    c = builtins
    response = as_(c.employee).post(reverse("approvals:apply", args=["purchase"]), FORM)
    approval = Approval.objects.get()
    assert response.status_code == 302 and response["Location"] == approval.get_absolute_url()
    assert approval.data["lines"] == [{"name": "显示器", "quantity": "20", "unit_price": "4000.00"}]
    page = as_(c.sales_head).get(approval.get_absolute_url())
    assert page.status_code == 200
    body = page.content.decode()
    assert "department 销售部: 陈静" in body
    as_(c.sales_head).post(reverse("approvals:approve", args=[approval.pk]),
                           {"approver": mine(c.sales_head, approval).pk, "comment": "同意"})
    as_(c.finance).post(reverse("approvals:approve", args=[approval.pk]),
                        {"approver": mine(c.finance, approval).pk})
    approval.refresh_from_db()
    assert approval.state == ApprovalState.APPROVED


def test_a_form_with_errors_is_shown_again_with_messages_and_nothing_is_saved(as_, builtins):
    response = as_(builtins.employee).post(reverse("approvals:apply", args=["purchase"]),
                                           {**FORM, "f_amount": "八万", "f_item": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="error-amount"' in body and 'data-testid="error-item"' in body
    assert "八万" in body  # what was typed stays
    assert Approval.objects.count() == 0


def test_errors_in_chinese(as_, builtins):
    client = as_(builtins.employee)
    client.cookies["django_language"] = "zh-hans"
    response = client.post(reverse("approvals:apply", args=["purchase"]), {**FORM, "f_amount": "八万"},
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "“金额（元）”须为以元计的金额，如 1200 或 1,200.50。" in response.content.decode()


def test_preview_shows_who_would_approve(as_, builtins):
    response = as_(builtins.employee).post(reverse("approvals:apply", args=["purchase"]),
                                           {**FORM, "f_amount": "600000", "preview": "1"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="route"' in body
    assert "王建国" in body and "董洁" in body and "<html" not in body
    assert Approval.objects.count() == 0


def test_a_stale_action_gets_a_clear_message(as_, builtins):
    c = builtins
    approval = purchase(c.employee, 80000)
    approver = mine(c.sales_head, approval).pk
    client = as_(c.sales_head)
    client.post(reverse("approvals:approve", args=[approval.pk]), {"approver": approver})
    response = client.post(reverse("approvals:approve", args=[approval.pk]), {"approver": approver},
                           follow=True)
    assert "This approval has moved on" in response.content.decode()
    assert pending_names(approval) == ["dongjie"]


def test_lists_keep_their_query_count(as_, builtins, django_assert_max_num_queries):
    c = builtins
    for amount in (100, 200, 300):
        purchase(c.employee, amount)
    client = as_(c.sales_head)
    client.get(reverse("approvals:index"))
    with django_assert_max_num_queries(NAV_QUERIES + 6):
        assert client.get(reverse("approvals:index")).status_code == 200
    for amount in range(5):
        purchase(c.employee, 400 + amount)
    with django_assert_max_num_queries(NAV_QUERIES + 6):
        assert client.get(reverse("approvals:index")).status_code == 200
    employee = as_(c.employee)
    with django_assert_max_num_queries(NAV_QUERIES + 6):
        assert employee.get(reverse("approvals:index") + "?box=started").status_code == 200


def test_the_printable_form_is_a_pdf_with_the_trail(as_, builtins):
    c = builtins
    approval = purchase(c.employee, 80000)
    response = as_(c.employee).get(reverse("approvals:pdf", args=[approval.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    from io import BytesIO

    pdf = BytesIO(response.content).getvalue()
    assert len(pdf) > 5000  # fonts embedded


def test_templates_are_for_administrators(as_, builtins):
    c = builtins
    assert as_(c.employee).get(reverse("approvals:templates")).status_code == 403
    assert as_(c.employee).post(reverse("approvals:template_new"), {}).status_code == 403
    assert as_(c.admin).get(reverse("approvals:templates")).status_code == 200


def test_an_administrator_builds_previews_and_publishes_through_approval(as_, builtins):
    c = builtins
    client = as_(c.admin)
    definition = ('{"form": [{"key": "amount", "type": "money", "label": "金额", "amount": true}],'
                  ' "nodes": [{"type": "approve", "key": "boss", "name": "老板", "approvers": [{"rule": "role", '
                  '"role": "ceo"}], "when": [{"field": "$amount", "op": "gt", "value": "100"}]}]}')
    bad = client.post(reverse("approvals:template_new"), {"key": "gift", "name": "礼品", "category": "general",
                                                          "definition": definition.replace('"ceo"', '"pope"')})
    assert bad.status_code == 400 and "is not a role" in bad.content.decode()
    response = client.post(reverse("approvals:template_new"), {"key": "gift", "name": "礼品", "category": "general",
                                                               "definition": definition})
    assert response.status_code == 302
    preview = client.post(reverse("approvals:template_preview", args=["gift"]),
                          {"definition": definition, "sample": '{"amount": "101"}', "applicant": "liuyang"})
    assert "王建国" in preview.content.decode()
    client.post(reverse("approvals:template_publish", args=["gift", 1]), {"reason": "新增礼品申请"})
    version = FlowVersion.objects.get(template__key="gift", number=1)
    assert version.state == VersionState.IN_REVIEW
    # The admin's department head (王建国 heads the office's parent) reviews it, then the CEO
    # (王建国 again: a route is authority, always a major change).
    review = Approval.objects.get(template__key="template_publish")
    assert review.data["template"] == "gift" and [n["key"] for n in review.plan] == ["head", "ceo"]
    from xietong.approvals.actions import approval_approve

    for _node in review.plan:
        a = review.approvers.get(state="pending")
        approval_approve(actor=a.task.assignee, approval=review, approver_id=a.pk)
    version.refresh_from_db()
    assert version.state == VersionState.PUBLISHED
    assert FlowTemplate.objects.get(key="gift").current_version == version


@pytest.mark.parametrize("verb", ["approve", "reject", "return", "transfer", "add-signer"])
def test_the_applicant_cannot_act_on_their_own_step(as_, builtins, verb):
    c = builtins
    approval = purchase(c.employee, 80000)
    as_(c.employee).post(reverse(f"approvals:{verb}", args=[approval.pk]), {
        "approver": mine(c.sales_head, approval).pk, "comment": "x", "person": "zhangwei",
        "where": "before", "to": "applicant"})
    assert pending_names(approval) == ["chenjing"]


def test_files_uploaded_with_the_form_are_attached_to_the_approval(as_, builtins, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xietong.work.discussion import attachments_for

    settings.MEDIA_ROOT = tmp_path
    quote = SimpleUploadedFile("报价单.pdf", b"%PDF-1.4 quote", content_type="application/pdf")
    response = as_(builtins.employee).post(reverse("approvals:apply", args=["purchase"]), {**FORM, "f_quotes": quote})
    assert response.status_code == 302, [str(m) for m in response.context["messages"]]
    approval = Approval.objects.get()
    files = list(attachments_for(approval))
    assert [f.name for f in files] == ["报价单.pdf"]
    assert approval.data["quotes"] == [files[0].pk]
    # Who may see the approval may download it; a stranger may not.
    assert as_(builtins.sales_head).get(reverse("work:attachment", args=[files[0].pk])).status_code == 200
    assert as_(builtins.engineer).get(reverse("work:attachment", args=[files[0].pk])).status_code in (403, 404)


def test_a_refused_publication_leaves_the_version_unpublished_and_says_so(builtins):
    from xietong.approvals.actions import approval_reject
    from xietong.approvals.flows import template_create, version_request_publish
    from xietong.audit.models import Event

    c = builtins
    version = template_create(actor=c.admin, key="gift2", name="礼品", definition={
        "nodes": [{"type": "approve", "key": "a", "name": "a", "approvers": [{"rule": "role", "role": "ceo"}]}]})
    review = version_request_publish(actor=c.admin, version=version, reason="试行")
    a = review.approvers.get(state="pending")
    approval_reject(actor=a.task.assignee, approval=review, approver_id=a.pk, comment="暂不需要")
    version.refresh_from_db()
    assert version.state == VersionState.REJECTED
    assert FlowTemplate.objects.get(key="gift2").current_version is None
    assert Event.objects.filter(verb="template.publish_refused", subject_id=str(version.template_id)).exists()


@pytest.mark.parametrize(("name", "method", "args", "data"), [
    ("approvals:batch", "post", [], {"approver": "1"}),
    ("approvals:template_edit", "get", ["purchase"], {}),
    ("approvals:template_preview", "post", ["purchase"], {"definition": "{}"}),
    ("approvals:template_publish", "post", ["purchase", 1], {"reason": "x"}),
])
def test_an_outsider_is_refused_on_the_other_pages(as_, builtins, name, method, args, data):
    response = getattr(as_(builtins.outsider), method)(reverse(name, args=args), data)
    assert response.status_code == 403


@pytest.mark.parametrize(("name", "method", "args", "data"), [
    ("approvals:template_edit", "get", ["purchase"], {}),
    ("approvals:template_edit", "post", ["purchase"], {"definition": "{}"}),
    ("approvals:template_preview", "post", ["purchase"], {"definition": "{}"}),
    ("approvals:template_publish", "post", ["purchase", 1], {"reason": "x"}),
])
def test_an_employee_cannot_edit_preview_or_publish_templates(as_, builtins, name, method, args, data):
    response = getattr(as_(builtins.employee), method)(reverse(name, args=args), data)
    assert response.status_code == 403
    assert FlowTemplate.objects.get(key="purchase").versions.count() == 1


def test_only_the_applicant_resubmits(as_, builtins):
    from xietong.approvals.actions import approval_return

    c = builtins
    approval = purchase(c.employee, 80000)
    approval_return(actor=c.sales_head, approval=approval, approver_id=mine(c.sales_head, approval).pk,
                    to="applicant", comment="补充")
    url = reverse("approvals:resubmit", args=[approval.pk])
    assert as_(c.sales_head).get(url).status_code == 403  # may see it, may not resubmit it
    assert as_(c.engineer).get(url).status_code == 404
    assert as_(c.employee).get(url).status_code == 200


# --- one URL per verb (approvals/verbs.py) ------------------------------------

def test_the_applicant_withdraws_and_urges_at_their_own_urls(as_, builtins):
    from xietong.audit.models import Event

    c = builtins
    approval = purchase(c.employee, 80000)
    as_(c.employee).post(reverse("approvals:urge", args=[approval.pk]), {"note": "请尽快"})
    assert Event.objects.filter(verb="task.urge", actor=c.employee, note="请尽快").count() == 1
    # 陈静 sees the approval but is no applicant: her urge is refused and nothing is recorded.
    refused = as_(c.sales_head).post(reverse("approvals:urge", args=[approval.pk]), {}, follow=True)
    assert "Only the applicant urges an approval." in refused.content.decode()
    assert Event.objects.filter(verb="task.urge").count() == 1
    as_(c.employee).post(reverse("approvals:withdraw", args=[approval.pk]), {"note": "不买了"})
    approval.refresh_from_db()
    assert approval.state == ApprovalState.WITHDRAWN
    assert Event.objects.get(verb="approval.withdrawn").note == "不买了"


def test_reject_and_return_share_the_decision_form_and_need_a_comment(as_, builtins):
    c = builtins
    approval = purchase(c.employee, 80000)
    client = as_(c.sales_head)
    page = client.get(approval.get_absolute_url()).content.decode()
    for verb in ("reject", "return"):
        assert f'formaction="{reverse(f"approvals:{verb}", args=[approval.pk])}"' in page
    approver = mine(c.sales_head, approval).pk
    response = client.post(reverse("approvals:reject", args=[approval.pk]), {"approver": approver}, follow=True)
    assert "Say why you reject it." in response.content.decode()
    assert pending_names(approval) == ["chenjing"]
    client.post(reverse("approvals:return", args=[approval.pk]), {"approver": approver, "comment": "补充报价",
                                                                  "to": "applicant"})
    approval.refresh_from_db()
    assert approval.state == ApprovalState.RETURNED


def test_a_bad_field_is_named_by_its_label_and_changes_nothing(as_, builtins):
    c = builtins
    approval = purchase(c.employee, 80000)
    response = as_(c.sales_head).post(reverse("approvals:approve", args=[approval.pk]), {"approver": "abc"},
                                      follow=True)
    assert "Some fields are missing or invalid: Your step" in response.content.decode()
    response = as_(c.sales_head).post(reverse("approvals:transfer", args=[approval.pk]),
                                      {"approver": mine(c.sales_head, approval).pk, "person": ""}, follow=True)
    assert "Some fields are missing or invalid: Someone else" in response.content.decode()
    assert pending_names(approval) == ["chenjing"]


def test_cc_reads_several_names_from_the_one_field(as_, builtins):
    c = builtins
    approval = purchase(c.employee, 80000)
    as_(c.employee).post(reverse("approvals:cc", args=[approval.pk]), {"people": "zhangwei, 王建国"})
    assert sorted(approval.ccs.values_list("person__username", flat=True)) == sorted(
        [c.tech_head.username, c.ceo.username])


def test_an_emergency_decision_is_reviewed_from_its_page(as_, builtins):
    from xietong.approvals.actions import Emergency
    from xietong.audit.models import Event

    from .conftest import approve, submit

    c = builtins
    decision = submit(c.employee, "purchase", item="抢修设备", category="production", amount="900000", reason="停产",
                      emergency=Emergency(leader=c.sales_head, members=[c.finance], reason="生产线停摆"))
    approve(c.sales_head, decision)
    page = as_(c.finance).get(decision.get_absolute_url()).content.decode()
    assert 'data-testid="my-review"' in page
    as_(c.finance).post(reverse("approvals:review", args=[decision.pk]), {"confirm": "false", "comment": "未比价"})
    as_(c.ceo).post(reverse("approvals:review", args=[decision.pk]), {"confirm": "true"})
    decision.refresh_from_db()
    assert decision.reviewed_at is not None
    assert [(e.verb, e.actor_id, e.note) for e in Event.objects.filter(verb__in=["approval.review_object", "approval.review_confirm"])
            .order_by("pk")] == [("approval.review_object", c.finance.pk, "未比价"),
                                 ("approval.review_confirm", c.ceo.pk, "")]
