"""Every catalogue is complete: each app's own (`xietong/<app>/locale`) and
the project's (`xietong/locale`, for the files outside any app) have a
translation of every translatable string in their code and templates, in
both languages, none fuzzy. Run `make messages` (see README) after adding
strings."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(str(p.relative_to(ROOT / "xietong").parent) for p in (ROOT / "xietong").glob("**/locale")
                    if "tests" not in p.parts)


def test_every_app_has_its_own_catalogue():
    from xietong.platform import modules

    apps = {module.app.removeprefix("xietong.") for module in modules() if module.app.startswith("xietong.")}
    assert apps and apps <= set(CATALOGUES)


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """A copy of the code with every catalogue refreshed as `make messages` does."""
    copy = tmp_path_factory.mktemp("i18n") / "xietong"
    shutil.copytree(ROOT / "xietong", copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    return copy


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_every_catalogue_covers_every_string(refreshed, settings, monkeypatch, language):
    settings.LOCALE_PATHS = [refreshed / "locale"]
    monkeypatch.chdir(refreshed)
    call_command("makemessages", locale=[language], no_location=True, no_wrap=True, verbosity=0,
                 ignore_patterns=["tests", "*/tests/*"])
    incomplete = {}
    for catalogue in CATALOGUES:
        po = refreshed / catalogue / "locale" / language / "LC_MESSAGES" / "django.po"
        result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
                                capture_output=True, text=True, check=True)
        stats = result.stderr.strip().splitlines()[-1]
        if "untranslated" in stats or "fuzzy" in stats:
            incomplete[catalogue] = stats
    assert not incomplete


def test_chinese_is_the_default_language(settings):
    from xietong import settings as product

    assert product.LANGUAGE_CODE == "zh-hans"


def test_django_s_own_words_on_our_pages_are_in_chinese_too(company, client):
    """The finding: every select on a Chinese page offered "- Select an option -"
    (Django 6.1 has no zh-Hans translation of it); our catalogue supplies it."""
    client.force_login(company.hr)
    page = client.get(f"/org/people/{company.employee.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "- 请选择 -" in page and "Select an option" not in page
    assert "设置代理" in page  # the button (a verb), not 代理人 (the delegate's label)
