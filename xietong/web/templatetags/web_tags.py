"""The layout's parts built in Python rather than by the template engine,
which walked the navigation's nodes on every page (issue 13): the same
markup, every text escaped as autoescape would."""

import html
from typing import Any

from django import template
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from xietong.texts import text

register = template.Library()


@register.simple_tag
def main_nav(nav: list[tuple[Any, str]], counts: Any) -> SafeString:
    """The main navigation's links with their badges (web.context.shell)."""
    parts = []
    for entry, href in nav:
        badge = ""
        if entry.badge == "todo":
            # Translated outside the f-strings: xgettext does not look inside them.
            open_tasks, overdue = html.escape(_("Open tasks")), html.escape(_("Overdue"))
            badge = f' <span class="badge" data-testid="count-todo" title="{open_tasks}">{counts.todo}</span>'
            if counts.overdue:
                badge += (f' <span class="badge danger" data-testid="count-overdue" '
                          f'title="{overdue}">{counts.overdue}</span>')
        elif entry.badge == "unread" and counts.unread:
            badge = f' <span class="badge" data-testid="count-unread">{counts.unread}</span>'
        parts.append(f'<a href="{html.escape(href)}" data-testid="nav-{html.escape(entry.key)}">'
                     f"{html.escape(text(entry.label))}{badge}</a>\n    ")
    return mark_safe("".join(parts))  # noqa: S308 — every text is escaped


@register.simple_tag
def language_buttons(current: str) -> SafeString:
    """The language switch's buttons, the current language marked."""
    return mark_safe("\n      ".join(  # noqa: S308 — every text is escaped
        f'<button type="submit" name="language" value="{html.escape(code)}" '
        f'class="link{" current" if code == current else ""}" data-lang="{html.escape(code)}">'
        f'{"EN" if code == "en" else "中文"}</button>' for code, _name in settings.LANGUAGES))
