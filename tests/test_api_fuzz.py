"""Schemathesis over every operation of the API (INT-2): 0 server errors, 0
responses outside the published schema.

Each operation is its own test (xdist spreads them), run with schema-valid
input as an administrator and as an employee, and with schema-invalid input
as the employee (XIETONG_FUZZ_EXAMPLES each, default 12). Path ids are drawn from the
range the fixture's records occupy, so most requests reach a real record and
the code behind the permission gate. Checks: no 5xx, every status and every
header documented, every body valid against its schema, and schema-invalid
input refused with a 4xx. (Schema-valid input may still be refused by a
business rule — a department that does not exist — so "valid data accepted"
is not checked.)
"""

import copy
import os
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from xietong.accounts.actions import token_create
from xietong.api import api
from xietong.approvals.builtin import builtin_install
from xietong.approvals.models import FlowTemplate
from xietong.org import actions as org
from xietong.requests.actions import request_submit
from xietong.service.actions import case_record
from xietong.wsgi import application

EXAMPLES = int(os.environ.get("XIETONG_FUZZ_EXAMPLES", "12"))
# The fixture's ids stay below this; generating beyond it mostly tests "not found".
ID_CEILING = 40
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def _document() -> dict[str, Any]:
    doc = copy.deepcopy(api.get_openapi_schema(path_prefix="/api/v1/"))
    for operations in doc["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter["in"] == "path" and schema.get("type") == "integer":
                    schema["maximum"] = min(schema.get("maximum", ID_CEILING), ID_CEILING)
    return doc


DOCUMENT = _document()
OPERATIONS = [(path, method) for path, operations in DOCUMENT["paths"].items() for method in operations]
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
SCHEMA.app = application


@pytest.fixture
def tokens(company, calendar) -> dict[str, str]:
    builtin_install()
    c = company
    org.liaison_set(actor=c.admin, department=c.tech, person=c.rd1_lead)
    from xietong.approvals.actions import approval_submit

    approval_submit(actor=c.employee, template=FlowTemplate.objects.get(key="purchase"),
                    data={"item": "样机", "category": "it", "amount": "80000", "reason": "测试"})
    request_submit(actor=c.employee, to_department=c.tech, title="固件升级支持")
    case_record(actor=c.service, data={"channel": "hotline", "title": "充电桩无法启动", "description": "扫码后无反应",
                                       "customer_name": "张先生", "customer_phone": "13900001111"})
    return {name: token_create(actor=person, name="fuzz")[1] for name, person in
            (("admin", c.admin), ("employee", c.employee))}


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_operation_never_errors_and_keeps_to_its_schema(db, tokens, path, method):
    operation = SCHEMA[path][method.upper()]
    # The WSGI handler closes the connection after each request; inside a
    # test transaction that would end the test's database.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    failures: list[str] = []
    try:
        # Schema-invalid input is refused by validation, after the same gate for
        # every member: one persona tries it; both try valid input, which reaches
        # what each may see and do.
        runs = [(persona, GenerationMode.POSITIVE) for persona in tokens] + [("employee", GenerationMode.NEGATIVE)]
        for persona, mode in runs:
            checks = CHECKS + ([negative_data_rejection] if mode == GenerationMode.NEGATIVE else [])
            try:
                _fuzz(operation, mode, tokens[persona], checks)
            except Exception as error:  # noqa: BLE001 — collected and reported below
                failures.append(f"{persona} / {mode.value}: {error}")
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert not failures, "\n\n".join(failures)


def _fuzz(operation: Any, mode: GenerationMode, token: str, checks: list) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=checks)

    run()


def test_the_document_is_served_to_a_token_and_has_unique_schema_names(db, company):
    from xietong.api import schema_name_clashes

    assert schema_name_clashes() == {}
    _token, raw = token_create(actor=company.employee, name="client generator")
    served = Client().get("/api/v1/openapi.json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert served.status_code == 200
    assert "ErrorOut" in served.json()["components"]["schemas"]
    assert Client().get("/api/v1/openapi.json").status_code == 401
    assert Client().get("/api/v1/openapi.json", HTTP_AUTHORIZATION="Bearer xt_wrong").status_code == 401
