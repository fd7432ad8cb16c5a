"""Module manifests and the registries filled from them.

Each app of the product is a module with one declaration (`Module`) in its
`manifest.py`, registered when Django starts (`ModuleConfig.ready`). The
registries below are what the rest of the product reads:

- the kernel: task kinds, record types, notification kinds, sweeps and
  schedules (work), policy parameters and the rules between them (policy),
  roles (org);
- the shell: every module's URLs (xietong.urls), API routers (xietong.api),
  navigation entries (web), demo loader (`xietong demo`), approval
  handlers (approvals).

A key declared twice is not overwritten: the first stays and the second is
recorded in `DUPLICATES`, which the system checks report (checks.py), so a
clash stops `manage.py check` (and every command that runs it) instead of
surfacing at run time.

Declarations are the kernel's own dataclasses (TaskKind, SubjectType,
NotificationKind, Param, …); this module only needs their `key`, so it
imports nothing of the product.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from importlib import import_module
from typing import Any

from django.apps import AppConfig
from django.utils.functional import Promise

Label = str | Promise


@dataclass(frozen=True)
class NavEntry:
    """A link in the main navigation. `visible(principal)` says who sees it
    (org.principal.Principal: the person, their roles, departments and
    delegations, loaded once per request); every entry must have one."""

    key: str
    label: Label
    url: str  # a URL name: "approvals:index"
    visible: Callable[[Any], bool] | None
    order: int = 100
    # Counts shown beside the link: "todo" (open tasks and overdue), "unread" (notifications).
    badge: str = ""


@dataclass(frozen=True)
class RoleDef:
    """A company role (SPEC Roles) a person may hold, company-wide or for one
    department (`RoleAssignment`). Positions in a department are memberships."""

    key: str
    label: Label


@dataclass(frozen=True)
class Module:
    key: str
    label: Label
    kinds: tuple[Any, ...] = ()  # work.registry.TaskKind
    subjects: tuple[Any, ...] = ()  # work.registry.SubjectType
    notifications: tuple[Any, ...] = ()  # work.notify.NotificationKind
    parameters: tuple[Any, ...] = ()  # policy.registry.Param
    parameter_rules: tuple[Any, ...] = ()  # policy.registry.ParamRule
    roles: tuple[RoleDef, ...] = ()
    # Periodic work run by every sweep: (name, run(now=…) -> count). Each must be safe with several workers.
    sweeps: tuple[tuple[str, Callable[..., int]], ...] = ()
    schedules: tuple[Any, ...] = ()  # work.schedules.Schedule
    urls: str = ""  # the dotted path of the module's urlpatterns, mounted at url_prefix
    url_prefix: str | None = None  # default "<key>/"
    api: tuple[tuple[str, str], ...] = ()  # (prefix under /api/v1/, "dotted.path:router")
    nav: tuple[NavEntry, ...] = ()
    demo: str = ""  # "dotted.path:function" loading the module's demo data, returning a line of text
    approval_handlers: tuple[Any, ...] = ()  # approvals.handlers.Handler
    # What it owes the regulation (platform/owed.py): a check for each clause of the catalogue it judges.
    checks: tuple[Any, ...] = ()  # owed.ClauseCheck
    metrics: tuple[Any, ...] = ()  # owed.Metric
    holdings: tuple[Any, ...] = ()  # owed.Holding
    app: str = field(default="", compare=False)  # the AppConfig's name, set at registration

    @property
    def prefix(self) -> str:
        return f"{self.key}/" if self.url_prefix is None else self.url_prefix


MODULES: dict[str, Module] = {}
KINDS: dict[str, Any] = {}
SUBJECTS: dict[str, Any] = {}
NOTIFICATIONS: dict[str, Any] = {}
PARAMETERS: dict[str, Any] = {}
RULES: list[Any] = []
ROLES: dict[str, RoleDef] = {}
SWEEPS: dict[str, Callable[..., int]] = {}
SCHEDULES: dict[str, Any] = {}
HANDLERS: dict[str, Any] = {}
CHECKS: dict[str, Any] = {}  # clause ID -> owed.ClauseCheck
METRICS: dict[str, Any] = {}  # key -> owed.Metric
HOLDINGS: dict[str, Any] = {}  # key -> owed.Holding
# (what, key, module that declared it again)
DUPLICATES: list[tuple[str, str, str]] = []
# Which module declared each key, for messages and the compliance view.
OWNERS: dict[tuple[str, str], str] = {}


def _add(what: str, registry: dict[str, Any], key: str, value: Any, module: str) -> None:
    if key in registry:
        DUPLICATES.append((what, key, module))
        return
    registry[key] = value
    OWNERS[(what, key)] = module


def register(module: Module, *, app: str = "") -> Module:
    """Record a module and everything it declares (ModuleConfig.ready)."""
    module = replace(module, app=app or module.app)
    if module.key in MODULES:
        DUPLICATES.append(("module", module.key, module.app))
        return module
    MODULES[module.key] = module
    for kind in module.kinds:
        _add("task kind", KINDS, kind.key, kind, module.key)
    for subject in module.subjects:
        _add("record type", SUBJECTS, subject.label, subject, module.key)
    for notification in module.notifications:
        _add("notification kind", NOTIFICATIONS, notification.key, notification, module.key)
    for parameter in module.parameters:
        _add("parameter", PARAMETERS, parameter.key, parameter, module.key)
    RULES.extend(module.parameter_rules)
    for role in module.roles:
        _add("role", ROLES, role.key, role, module.key)
    for name, run in module.sweeps:
        _add("sweep", SWEEPS, name, run, module.key)
    for schedule in module.schedules:
        _add("schedule", SCHEDULES, schedule.key, schedule, module.key)
    for handler in module.approval_handlers:
        _add("approval handler", HANDLERS, handler.key, handler, module.key)
    for check in module.checks:
        _add("clause check", CHECKS, check.clause, check, module.key)
    for metric in module.metrics:
        _add("metric", METRICS, metric.key, metric, module.key)
    for holding in module.holdings:
        _add("holding", HOLDINGS, holding.key, holding, module.key)
    return module


def unregister(key: str) -> None:
    """Take a module out again (tests of the checks only)."""
    module = MODULES.pop(key)
    for registry, items, attr in ((KINDS, module.kinds, "key"), (SUBJECTS, module.subjects, "label"),
                                  (NOTIFICATIONS, module.notifications, "key"),
                                  (PARAMETERS, module.parameters, "key"), (ROLES, module.roles, "key"),
                                  (SCHEDULES, module.schedules, "key"), (HANDLERS, module.approval_handlers, "key"),
                                  (CHECKS, module.checks, "clause"), (METRICS, module.metrics, "key"),
                                  (HOLDINGS, module.holdings, "key")):
        for item in items:
            if registry.get(getattr(item, attr)) is item:
                del registry[getattr(item, attr)]
    for name, run in module.sweeps:
        if SWEEPS.get(name) is run:
            del SWEEPS[name]
    for rule in module.parameter_rules:
        RULES.remove(rule)
    DUPLICATES[:] = [d for d in DUPLICATES if d[2] not in (key, module.app)]


def role_label(key: str) -> Label:
    """A role's label, or its key when no module declares it any more."""
    role = ROLES.get(key)
    return role.label if role else key


def modules() -> Iterator[Module]:
    """Every registered module, in INSTALLED_APPS order."""
    return iter(list(MODULES.values()))


def module_for(key: str) -> Module | None:
    return MODULES.get(key)


def load(dotted: str) -> Any:
    """"package.module:name" → the object."""
    path, _sep, name = dotted.partition(":")
    return getattr(import_module(path), name)


class ModuleConfig(AppConfig):
    """The AppConfig of a module: at start-up it registers `<app>.manifest.MODULE`.
    A module with more to do at start-up overrides `module_ready`."""

    # Imported into a module's apps.py, this class would be a second AppConfig
    # there and Django would use neither: it is never the default, each
    # subclass is (unless it says otherwise).
    default = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "default" not in cls.__dict__:
            cls.default = True

    def ready(self) -> None:
        register(import_module(f"{self.name}.manifest").MODULE, app=self.name)
        self.module_ready()

    def module_ready(self) -> None:
        pass
