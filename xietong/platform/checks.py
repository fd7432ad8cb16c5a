"""Start-up checks of the modules' manifests (`manage.py check`, and every
command that runs the checks: runserver, migrate, `xietong setup`).

What they refuse, each a mistake that would otherwise fail silently or at
run time, in some request, for some person:

- xietong.E001  a module, task kind, record type, notification kind,
                parameter, role, sweep, schedule or approval handler
                declared twice
- xietong.E002  a record type whose label is not its model's label
- xietong.E003  a task kind whose `due_param` is not a duration parameter
- xietong.E004  a notification kind sent (`notify(kind="…")`) but not declared
- xietong.E005  a navigation entry without a permission rule
- xietong.E006  a task kind of a module that is not registered
- xietong.E007  a parameter rule naming an undeclared parameter
- xietong.E009  a schedule of an unknown module, frequency or holiday rule,
                or whose day parameter is not a bounded whole number of its range
- xietong.E008  a parameter owned by an undeclared role, or a number
                without both bounds
"""

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core import checks

from . import manifest
from .params import TYPES


def _error(code: int, message: str, obj: Any = None, hint: str | None = None) -> checks.Error:
    return checks.Error(message, hint=hint, obj=obj, id=f"xietong.E{code:03d}")


def _notify_kinds_sent(folder: Path) -> Iterator[tuple[str, Path, int]]:
    """`notify(kind="…")` calls with a literal kind in a module's code."""
    for path in folder.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in ("notify", "notify_many"):
                continue
            for keyword in node.keywords:
                if keyword.arg == "kind" and isinstance(keyword.value, ast.Constant) and isinstance(
                        keyword.value.value, str):
                    yield keyword.value.value, path, node.lineno


@checks.register("xietong")
def check_manifests(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for what, key, again_by in manifest.DUPLICATES:
        errors.append(_error(1, f"The {what} {key!r} is declared twice (again by {again_by!r}).",
                             hint="Keys are global: prefix them with the module's key."))
    for subject in manifest.SUBJECTS.values():
        model = getattr(subject, "model", None)
        if model is not None and subject.label != model._meta.label_lower:
            errors.append(_error(2, f"The record type {subject.label!r} names the model {model._meta.label_lower!r}.",
                                 hint="A record type's label is its model's app_label.model_name."))
    for kind in manifest.KINDS.values():
        if kind.module not in manifest.MODULES:
            errors.append(_error(6, f"The task kind {kind.key!r} belongs to the module {kind.module!r}, "
                                    "which is not registered."))
        if kind.due_param:
            param = manifest.PARAMETERS.get(kind.due_param)
            if param is None or not param.is_duration:
                errors.append(_error(3, f"The task kind {kind.key!r} counts its due time from {kind.due_param!r}, "
                                        "which is not a declared duration parameter.",
                                     hint="A duration is an int in hours, working hours, working days or days."))
    for module in manifest.MODULES.values():
        for entry in module.nav:
            if entry.visible is None or not callable(entry.visible):
                errors.append(_error(5, f"The navigation entry {entry.key!r} of {module.key!r} has no permission "
                                        "rule.", hint="Give it visible=…, e.g. xietong.org.principal.member."))
        config = next((c for c in apps.get_app_configs() if c.name == module.app), None)
        if config is not None:
            for kind, path, line in _notify_kinds_sent(Path(config.path)):
                if kind not in manifest.NOTIFICATIONS:
                    errors.append(_error(4, f"{path.name}:{line} sends the notification kind {kind!r}, which no "
                                            "manifest declares."))
    for rule in manifest.RULES:
        for key in (rule.low, rule.high):
            if key not in manifest.PARAMETERS:
                errors.append(_error(7, f"A parameter rule names {key!r}, which is not declared."))
    for param in manifest.PARAMETERS.values():
        if param.owner not in manifest.ROLES:
            errors.append(_error(8, f"The parameter {param.key!r} is owned by the role {param.owner!r}, which is "
                                    "not declared."))
        if param.type in ("int", "decimal") and (param.minimum is None or param.maximum is None):
            errors.append(_error(8, f"The parameter {param.key!r} is a number without both bounds.",
                                 hint="Declare minimum= and maximum= (POL-2)."))
        if param.type not in TYPES:
            errors.append(_error(8, f"The parameter {param.key!r} has the unknown type {param.type!r}."))
    for schedule in manifest.SCHEDULES.values():
        errors += _schedule_errors(schedule)
    return errors


# The frequencies and holiday rules of work.schedules, and the range of each
# frequency's day parameter.
_EVERY = {"weekly": (1, 7), "monthly": (1, 31), "quarterly": (1, 31), "yearly": (1, 31)}
_HOLIDAY = ("next", "previous", "skip")


def _schedule_errors(schedule: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    if schedule.module not in manifest.MODULES:
        errors.append(_error(9, f"The schedule {schedule.key!r} names the module {schedule.module!r}, which is not "
                                "registered."))
    if schedule.every not in _EVERY or schedule.holiday not in _HOLIDAY:
        errors.append(_error(9, f"The schedule {schedule.key!r} has every={schedule.every!r} and "
                                f"holiday={schedule.holiday!r}.", hint=f"every: {', '.join(_EVERY)}; holiday: "
                                                                       f"{', '.join(_HOLIDAY)}."))
        return errors
    param = manifest.PARAMETERS.get(schedule.day_param)
    low, high = _EVERY[schedule.every]
    if param is None or param.type != "int":
        errors.append(_error(9, f"The schedule {schedule.key!r} takes its day from {schedule.day_param!r}, which is "
                                "not a declared whole-number parameter."))
    elif param.minimum is None or param.maximum is None or param.minimum < low or param.maximum > high:
        errors.append(_error(9, f"The schedule {schedule.key!r} takes its day from {schedule.day_param!r}, whose "
                                f"bounds are not within {low}–{high}."))
    return errors
