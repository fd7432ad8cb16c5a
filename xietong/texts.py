"""A label's text in the active language, worked out once per process and
language rather than on every page (issue 13: the inbox's filters and the
navigation cast about forty lazy labels a page, each a catalogue lookup).

    text(kind.label)  # "协作请求" under zh-hans, "Collaboration request" under en

A lazy label (gettext_lazy, pgettext_lazy, …) is remembered by its language,
its kind of proxy and its arguments; any other value is `str()`ed. Catalogues
do not change while a process runs, so nothing here can go stale; the memo
stops growing at `LIMIT` entries (labels are declared, not made per row)."""

from typing import Any

from django.utils.translation import get_language

LIMIT = 4096
_TEXTS: dict[tuple[Any, ...], str] = {}


def text(label: Any, language: str | None = None) -> str:
    """`label`'s text in `language` (default: the active one, which the
    caller may pass when it asks for many labels at once)."""
    if isinstance(label, str):
        return label
    args = getattr(label, "_args", None)
    if args is None:
        return str(label)
    kw = getattr(label, "_kw", None)
    key = (language or get_language(), type(label), args, tuple(sorted(kw.items())) if kw else ())
    try:
        found = _TEXTS.get(key)
    except TypeError:  # an unhashable argument
        return str(label)
    if found is None:
        found = str(label)
        if len(_TEXTS) < LIMIT:
            _TEXTS[key] = found
    return found
