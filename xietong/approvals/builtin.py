"""The built-in templates, from the regulations (APR-6, POL-2).

- 采购申请: department head → finance → CEO by amount (seed 000 §3 "采购审批需
  依次经过部门负责人、财务部、CEO签字"; §4 "X万元以下由部门负责人审批，X万元以上需财务部
  参与"): the thresholds are the policy parameters, so changing X changes the route.
- 费用报销, 资源申请: the same shape for expenses and for asking another
  department for a resource.
- 流程/参数变更 and 流程模板发布 (POL-2): a parameter change is reviewed by the
  parameter's owner, then by the CEO when the registry declares it major; a
  template version by the department, then the CEO (always major). Each
  takes effect when approved.

`builtin_install()` creates any that are missing, published, and is run by
`xietong_setup`; it never touches a template an administrator has changed.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from xietong.audit.trail import event_record
from xietong.policy.registry import parameters

from .definition import definition_parse
from .flows import version_publish
from .models import Category, FlowTemplate, FlowVersion

HEAD = {"type": "approve", "key": "head", "name": "部门负责人审批", "name_en": "Department head",
        "mode": "any", "approvers": [{"rule": "dept_head"}]}
FINANCE_ABOVE = {"type": "approve", "key": "finance", "name": "财务部审核", "name_en": "Finance",
                 "mode": "any", "approvers": [{"rule": "role", "role": "finance"}],
                 "when": [{"field": "$amount", "op": "gt", "param": "approval.finance_threshold_yuan"}]}
CEO_ABOVE = {"type": "approve", "key": "ceo", "name": "CEO审批", "name_en": "CEO",
             "mode": "any", "approvers": [{"rule": "role", "role": "ceo"}],
             "when": [{"field": "$amount", "op": "gt", "param": "approval.ceo_threshold_yuan"}]}
# POL-2: whether a change is major is the handler's to say (the registry, for
# a parameter), never a field the applicant fills in.
CEO_IF_MAJOR = {"type": "approve", "key": "ceo", "name": "CEO审批（重大调整）", "name_en": "CEO (major change)",
                "mode": "any", "approvers": [{"rule": "role", "role": "ceo"}],
                "when": [{"field": "$major", "op": "eq", "value": "yes"}]}


def _purchase() -> dict[str, Any]:
    return {
        "form": [
            {"key": "item", "type": "text", "label": "采购物品", "label_en": "What to buy", "required": True},
            {"key": "category", "type": "choice", "label": "类别", "label_en": "Category", "required": True,
             "choices": [{"value": "office", "label": "办公用品", "label_en": "Office supplies"},
                         {"value": "it", "label": "IT设备", "label_en": "IT equipment"},
                         {"value": "production", "label": "生产物资", "label_en": "Production materials"},
                         {"value": "service", "label": "服务", "label_en": "Services"},
                         {"value": "other", "label": "其他", "label_en": "Other"}]},
            # More than zero; when lines are given, exactly what they add up to (the route is chosen by it).
            {"key": "amount", "type": "money", "label": "金额（元）", "label_en": "Amount (yuan)", "required": True,
             "amount": True, "min": "0.01"},
            {"key": "lines", "type": "table", "label": "明细", "label_en": "Lines", "sum_into": "amount",
             "columns": [{"key": "name", "type": "text", "label": "名称", "label_en": "Name"},
                         {"key": "quantity", "type": "number", "label": "数量", "label_en": "Quantity", "min": "0.01"},
                         {"key": "unit_price", "type": "money", "label": "单价", "label_en": "Unit price"}]},
            {"key": "supplier", "type": "text", "label": "供应商", "label_en": "Supplier"},
            {"key": "needed_by", "type": "date", "label": "需要日期", "label_en": "Needed by", "not_past": True},
            {"key": "reason", "type": "textarea", "label": "采购理由", "label_en": "Reason", "required": True},
            {"key": "quotes", "type": "attachment", "label": "报价单", "label_en": "Quotations"},
        ],
        "nodes": [HEAD, FINANCE_ABOVE, CEO_ABOVE],
        "settings": {"withdraw": "before_first_approval", "return_resume": "restart", "allow_emergency": True},
    }


def _expense() -> dict[str, Any]:
    return {
        "form": [
            {"key": "kind", "type": "choice", "label": "费用类型", "label_en": "Type", "required": True,
             "choices": [{"value": "travel", "label": "差旅", "label_en": "Travel"},
                         {"value": "hospitality", "label": "招待", "label_en": "Hospitality"},
                         {"value": "office", "label": "办公", "label_en": "Office"},
                         {"value": "training", "label": "培训", "label_en": "Training"},
                         {"value": "other", "label": "其他", "label_en": "Other"}]},
            {"key": "amount", "type": "money", "label": "报销金额（元）", "label_en": "Amount (yuan)", "required": True,
             "amount": True, "min": "0.01"},
            {"key": "period", "type": "daterange", "label": "费用期间", "label_en": "Period"},
            {"key": "lines", "type": "table", "label": "费用明细", "label_en": "Items", "sum_into": "amount",
             "columns": [{"key": "day", "type": "date", "label": "日期", "label_en": "Date"},
                         {"key": "item", "type": "text", "label": "事项", "label_en": "Item"},
                         {"key": "cost", "type": "money", "label": "金额", "label_en": "Amount"}]},
            {"key": "reason", "type": "textarea", "label": "事由", "label_en": "Purpose", "required": True},
            {"key": "invoices", "type": "attachment", "label": "发票", "label_en": "Invoices"},
        ],
        "nodes": [HEAD, {**FINANCE_ABOVE, "when": [], "name": "财务部审核", "batch": True}, CEO_ABOVE],
        "settings": {"withdraw": "until_end", "return_resume": "jump"},
    }


def _resource() -> dict[str, Any]:
    return {
        "form": [
            {"key": "resource", "type": "choice", "label": "资源类型", "label_en": "Resource", "required": True,
             "choices": [{"value": "room", "label": "会议室/场地", "label_en": "Room or venue"},
                         {"value": "vehicle", "label": "车辆", "label_en": "Vehicle"},
                         {"value": "equipment", "label": "设备", "label_en": "Equipment"},
                         {"value": "staff", "label": "人员支持", "label_en": "Staff support"},
                         {"value": "other", "label": "其他", "label_en": "Other"}]},
            {"key": "provider", "type": "department", "label": "提供部门", "label_en": "Providing department",
             "required": True},
            {"key": "period", "type": "daterange", "label": "使用期间", "label_en": "Period", "required": True,
             "not_past": True},
            {"key": "quantity", "type": "number", "label": "数量", "label_en": "Quantity", "min": "1"},
            {"key": "reason", "type": "textarea", "label": "用途", "label_en": "Purpose", "required": True},
        ],
        "nodes": [HEAD, {"type": "approve", "key": "provider", "name": "提供部门负责人", "name_en": "Providing department's head",
                         "mode": "any", "approvers": [{"rule": "head_of", "field": "provider"}]}],
        "settings": {"withdraw": "until_end"},
    }


def _policy_change() -> dict[str, Any]:
    return {
        "form": [
            {"key": "parameter", "type": "choice", "label": "制度参数", "label_en": "Policy parameter", "required": True,
             "choices": [{"value": p.key, "label": f"{p.zh}（{p.key}）"[:100], "label_en": f"{p.en} ({p.key})"[:100]}
                         for p in parameters()]},
            {"key": "value", "type": "text", "label": "新值", "label_en": "New value", "required": True},
            {"key": "effective_from", "type": "date", "label": "生效日期", "label_en": "Effective from", "required": True},
            {"key": "reason", "type": "textarea", "label": "变更理由", "label_en": "Why", "required": True},
        ],
        # The parameter's owner reviews (部门审议), then the CEO when it is major; the
        # applicant never reviews their own proposal (their manager does instead).
        "nodes": [{"type": "approve", "key": "owner", "name": "归口部门审议", "name_en": "Review by the owner",
                   "mode": "any", "approvers": [{"rule": "param_owner", "field": "parameter"}]}, CEO_IF_MAJOR],
        "settings": {"withdraw": "until_end", "applicant_approver": "manager", "dedupe": False},
    }


def _template_publish() -> dict[str, Any]:
    return {
        "form": [
            {"key": "template", "type": "text", "label": "审批模板", "label_en": "Template", "required": True},
            {"key": "version", "type": "number", "label": "版本", "label_en": "Version", "required": True},
            {"key": "reason", "type": "textarea", "label": "变更说明", "label_en": "What changes and why",
             "required": True},
        ],
        # A route is authority: publishing a version is always a major change.
        "nodes": [{**HEAD, "name": "部门审议", "name_en": "Department review"}, CEO_IF_MAJOR],
        "settings": {"withdraw": "until_end", "dedupe": False},
    }


BUILTINS = (
    ("purchase", "采购申请", "Purchase request", Category.PURCHASE, "", False, _purchase),
    ("expense", "费用报销", "Expense claim", Category.EXPENSE, "", False, _expense),
    ("resource", "资源申请", "Resource request", Category.RESOURCE, "", False, _resource),
    ("policy_change", "流程/参数变更", "Process or parameter change", Category.POLICY, "policy.parameter_change",
     False, _policy_change),
    ("template_publish", "审批模板发布", "Publishing an approval template", Category.POLICY, "approvals.publish", True,
     _template_publish),
)


@transaction.atomic
def builtin_install() -> list[str]:
    """Create the built-in templates that do not exist yet, and bring those
    still on a version this installer wrote up to the current definition
    (a release that changes a built-in form, e.g. the parameter list of
    流程/参数变更). A template an administrator has published a version of is
    never touched. Returns the keys created or upgraded."""
    changed = []
    for key, name, name_en, category, handler, system, build in BUILTINS:
        definition = definition_parse(build()).model_dump(mode="json")
        template = FlowTemplate.objects.select_for_update(of=("self",)).filter(key=key).select_related(
            "current_version").first()
        if template is None:
            template = FlowTemplate.objects.create(key=key, name=name, name_en=name_en, category=category,
                                                   handler=handler, builtin=True, system=system)
            event_record(actor=None, verb="template.create", subject=template, first=True,
                         after={"key": key, "name": name, "builtin": True})
            number = 1
        else:
            current = template.current_version
            if current is None or current.created_by_id is not None or current.definition == definition:
                continue  # an administrator's version, or already current
            number = (template.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        version = FlowVersion.objects.create(template=template, number=number, definition=definition,
                                             note="built in" if number == 1 else "built in (upgraded with the release)",
                                             created_at=timezone.now())
        version_publish(version=version, actor=None)
        changed.append(key)
    return changed
