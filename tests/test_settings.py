"""Production settings: `check --deploy` is clean, and secrets come only from the environment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    # Only the environment a deployment would have: none of the test run's own switches.
    skip = ("XIETONG_", "SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=False)


PRODUCTION = {"XIETONG_ENV": "production", "SECRET_KEY": "x" * 64 + "-production-secret-value",
              "XIETONG_ALLOWED_HOSTS": "xietong.example.com", "XIETONG_AUDIT_KEY": "k" * 64}


def test_check_deploy_is_clean_in_production(tmp_path):
    result = run_check(PRODUCTION | {"XIETONG_VAR_DIR": str(tmp_path),
                                     "XIETONG_AUDIT_ANCHOR_DIR": str(tmp_path / "anchors")})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_without_the_audit_key_and_anchors(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "XIETONG_AUDIT_KEY"}
    result = run_check(env | {"XIETONG_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "xietong.W001" in result.stderr and "xietong.W002" in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_check({"XIETONG_ENV": "production", "XIETONG_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set" in result.stderr


def run_python(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    skip = ("XIETONG_", "SECRET_KEY", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    return subprocess.run([sys.executable, "-c", "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE',"
                           " 'xietong.settings'); django.setup(); from django.conf import settings; " + code],
                          cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=False)


def test_a_typo_in_a_yes_no_setting_stops_the_start(tmp_path):
    result = run_python({"XIETONG_VAR_DIR": str(tmp_path), "XIETONG_DEMO": "ture"}, "print(settings.XIETONG_DEMO)")
    assert result.returncode != 0 and "XIETONG_DEMO='ture'" in result.stderr


def test_secrets_can_come_from_files(tmp_path):
    (tmp_path / "key").write_text("from-a-file-" + "s" * 50 + "\n")
    result = run_python({"XIETONG_VAR_DIR": str(tmp_path), "SECRET_KEY_FILE": str(tmp_path / "key"),
                         "XIETONG_AUDIT_KEY_FILE": str(tmp_path / "key")},
                        "print(settings.SECRET_KEY == settings.XIETONG_AUDIT_KEY == 'from-a-file-' + 's' * 50)")
    assert result.stdout.strip() == "True", result.stderr
    both = run_python({"XIETONG_VAR_DIR": str(tmp_path), "SECRET_KEY": "x", "SECRET_KEY_FILE": str(tmp_path / "key")},
                      "print(1)")
    assert both.returncode != 0 and "not both" in both.stderr


def test_the_media_root_comes_from_the_environment(tmp_path):
    result = run_python({"XIETONG_VAR_DIR": str(tmp_path), "XIETONG_MEDIA_ROOT": str(tmp_path / "shared")},
                        "print(settings.MEDIA_ROOT)")
    assert result.stdout.strip() == str(tmp_path / "shared"), result.stderr


def test_the_database_file_is_readable_by_its_owner_only(tmp_path):
    result = run_python({"XIETONG_VAR_DIR": str(tmp_path)}, "print(1)")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "xietong.sqlite3").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
