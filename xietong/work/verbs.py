"""One URL per verb, one parser for page and API (docs/architecture.md).

A module lists what a person can do to one of its records as `Verb`s: the
URL's last part, the schema both the page and the API read, and the step
that calls the module's action and says what happened. These factories give
each verb its own page view (`POST /<module>/<id>/<slug>/`) and its own API
operation (`POST /api/v1/<records>/{pk}/<slug>`); no view dispatches on a
verb string. requests/verbs.py and service/verbs.py are the models."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from xietong.errors import DomainError
from xietong.inputs import Id, Label, parse_form
from xietong.org.gates import MemberRequest, api_member, member_required
from xietong.org.models import Person
from xietong.pages import show_error


@dataclass(frozen=True)
class Verb:
    slug: str  # the URL's last part
    schema: type[Any] | None  # a ninja Schema: the API's body and what the page's POST is read with; None: no input
    step: Callable[[Person, Any, Any], str]  # step(actor, record, data) -> the message for the page
    summary: str  # the API operation's summary


def verb_page(verb: Verb, *, load: Callable[[Person, int], Any], detail: str,
              labels: Mapping[str, Label]) -> Callable[..., HttpResponseBase]:
    """The page's POST for one verb: `load(actor, pk)` is the record's gate
    (404 for whoever may not see it), then the verb's schema and step; the
    outcome is a message on the record's page (`detail`, a URL name)."""

    @member_required
    @require_POST
    def view(request: MemberRequest, pk: int) -> HttpResponse:
        me = request.user
        record = load(me, pk)
        try:
            data = None if verb.schema is None else parse_form(verb.schema, request.POST, labels)
            messages.success(request, verb.step(me, record, data))
        except DomainError as error:
            show_error(request, error)
        return redirect(detail, pk=record.pk)

    view.__name__ = view.__qualname__ = verb.slug.replace("-", "_")
    return view


def verb_operation(verb: Verb, *, load: Callable[[Person, int], Any], out: Callable[[Any], Any],
                   prefix: str, kept_current: bool = False) -> Callable[..., Any]:
    """The API's POST for one verb, with the page's schema and step; answers
    the record as `out` shows it, refreshed from the database unless
    `kept_current`: the module's actions lock their row into the record they
    are given and change it there (`xietong.locking.lock_into`), so the
    record is already what they left."""

    def run(request: HttpRequest, pk: int, body: Any) -> Any:
        me = api_member(request)
        record = load(me, pk)
        verb.step(me, record, body)
        if not kept_current:
            record.refresh_from_db()
        return out(record)

    if verb.schema is None:
        def operation(request: HttpRequest, pk: Id) -> Any:
            return run(request, pk, None)
    else:
        def operation(request: HttpRequest, pk: Id, body: verb.schema) -> Any:  # type: ignore[name-defined,misc]
            return run(request, pk, body)

    operation.__name__ = operation.__qualname__ = f"{prefix}_{verb.slug.replace('-', '_')}"
    return operation
