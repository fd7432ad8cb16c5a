"""The layout's navigation (web.context.shell, web_tags.main_nav): each entry a
link to its page under the deployment's path, with the inbox's badges, every
text escaped."""

from types import SimpleNamespace

from django.urls import set_script_prefix

from xietong.web.context import _href
from xietong.web.templatetags.web_tags import main_nav
from xietong.work.queries import Counts


def entry(key, label, badge=""):
    return SimpleNamespace(key=key, label=label, badge=badge)


def test_the_badges_show_what_is_open_overdue_and_unread_and_the_labels_are_escaped():
    nav = [(entry("inbox", "待办中心", "todo"), "/work/"), (entry("notes", "Notes & <news>", "unread"), "/n/?a=1&b=2")]
    html = main_nav(nav, Counts(todo=7, overdue=2, unread=3))
    assert html == (
        '<a href="/work/" data-testid="nav-inbox">待办中心 <span class="badge" data-testid="count-todo" '
        'title="Open tasks">7</span> <span class="badge danger" data-testid="count-overdue" title="Overdue">2</span>'
        '</a>\n    <a href="/n/?a=1&amp;b=2" data-testid="nav-notes">Notes &amp; &lt;news&gt; '
        '<span class="badge" data-testid="count-unread">3</span></a>\n    ')
    quiet = main_nav(nav, Counts(todo=0, overdue=0, unread=0))
    assert "count-overdue" not in quiet and "count-unread" not in quiet and 'count-todo" title="Open tasks">0<' in quiet


def test_an_entry_s_url_follows_the_deployment_s_path():
    assert _href("work:inbox") == "/work/"
    set_script_prefix("/oa/")
    try:
        assert _href("work:inbox") == "/oa/work/"
    finally:
        set_script_prefix("/")
    assert _href("work:inbox") == "/work/"
