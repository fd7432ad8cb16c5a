"""xietong.texts: a lazy label's text, remembered per language."""

from django.utils.translation import gettext_lazy, override, pgettext_lazy

from xietong import texts
from xietong.texts import text


def test_a_lazy_label_reads_in_the_active_language_each_time():
    label = gettext_lazy("Inbox")
    with override("zh-hans"):
        assert text(label) == "待办中心"
    with override("en"):
        assert text(label) == "Inbox"
    with override("zh-hans"):
        assert text(label) == "待办中心"
        assert text(label, "en") == "Inbox"  # a language passed wins over the active one


def test_the_same_word_in_another_context_keeps_its_own_text():
    with override("zh-hans"):
        assert text(gettext_lazy("Done")) == "已办结"
        assert text(pgettext_lazy("inbox box: what I handled", "Done")) == "已办"


def test_plain_text_and_other_values_pass_through():
    assert text("已经是文字") == "已经是文字"
    assert text(42) == "42"


def test_the_memo_stops_growing_at_its_limit(monkeypatch):
    monkeypatch.setattr(texts, "_TEXTS", {})
    monkeypatch.setattr(texts, "LIMIT", 1)
    with override("en"):
        assert text(gettext_lazy("Inbox")) == "Inbox"
        assert text(gettext_lazy("Done")) == "Done"
    assert list(texts._TEXTS.values()) == ["Inbox"]
