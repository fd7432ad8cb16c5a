"""Every URL pattern and every API operation refuses a signed-out visitor and
an outsider (an account in no department and with no role): a new module
cannot forget its gate. The patterns are walked from the URLconf and the
OpenAPI document, so a page or endpoint added tomorrow is checked too; only
the public ones named below are let through, each for a reason."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Pages anyone may open, and why.
PUBLIC = {
    "accounts:login": "the sign-in page",
    "accounts:logout": "signing out",
    "set_language": "choosing the language (i18n)",
    "service:public_form": "customers submit cases from the website (CS-1), rate-limited",
    "service:public_track": "a customer follows a case by its secret tracking code",
    "service:public_survey": "a customer answers a case's survey by its secret token",
}
# Pages for any signed-in account, outsiders included, and why.
SIGNED_IN = {
    "accounts:password": "everyone changes their own password",
}
SAMPLE = {"id": "1", "n": "1", "int": "1", "str": "x", "slug": "x", "path": "x"}


def patterns(resolvers=None, prefix="", namespace=""):
    """(URL with sample values, name) for every pattern but the API (walked from its schema below)."""
    for entry in (resolvers if resolvers is not None else get_resolver().url_patterns):
        if isinstance(entry, URLResolver):
            route = str(entry.pattern)
            if route.startswith("api/"):
                continue
            space = f"{namespace}:{entry.namespace}" if entry.namespace and namespace else entry.namespace or namespace
            yield from patterns(entry.url_patterns, prefix + route, space)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            url = "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "1"), route)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or url
            yield url, name


PAGES = sorted(set(patterns()))


def test_the_walk_finds_every_module_s_pages():
    names = {name for _url, name in PAGES}
    for expected in ("work:inbox", "approvals:detail", "requests:detail", "service:detail", "duties:department",
                     "org:person", "policy:calendar", "accounts:tokens", "example:index", "work:delegation_create"):
        assert expected in names
    assert len(PAGES) > 80


@pytest.mark.parametrize(("url", "name"), [p for p in PAGES if p[1] in SIGNED_IN], ids=lambda v: str(v))
def test_a_signed_out_visitor_is_sent_to_sign_in_from_an_account_page(company, client, url, name):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(company.outsider)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(("url", "name"), [p for p in PAGES if p[1] not in PUBLIC and p[1] not in SIGNED_IN],
                         ids=lambda v: str(v))
def test_a_signed_out_visitor_is_sent_to_sign_in_and_an_outsider_refused(company, client, url, name):
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), \
            (name, method.__name__, response.status_code)
    client.force_login(company.outsider)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 403, (name, method.__name__, response.status_code)


def api_operations():
    from xietong.api import api

    schema = api.get_openapi_schema()
    for path, item in schema["paths"].items():
        for method in item:
            yield method, re.sub(r"\{[^}]+\}", "1", path)


OPERATIONS = sorted(set(api_operations()))


def test_the_walk_finds_every_module_s_api():
    paths = {path for _method, path in OPERATIONS}
    for expected in ("/api/v1/tasks", "/api/v1/approvals/1", "/api/v1/example/notes"):
        assert expected in paths, sorted(paths)
    assert len(OPERATIONS) > 40


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=lambda v: str(v))
def test_every_api_operation_refuses_the_signed_out_and_outsiders(company, client, method, path):
    call = getattr(client, method)
    response = call(path, content_type="application/json", data={})
    assert response.status_code == 401, (method, path, response.status_code)
    client.force_login(company.outsider)
    response = call(path, content_type="application/json", data={})
    assert response.status_code == 403, (method, path, response.status_code, response.content[:200])
