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


def test_check_deploy_is_clean_in_production(tmp_path):
    result = run_check({"XIETONG_ENV": "production", "SECRET_KEY": "x" * 64 + "-production-secret-value",
                        "XIETONG_ALLOWED_HOSTS": "xietong.example.com", "XIETONG_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_check({"XIETONG_ENV": "production", "XIETONG_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set" in result.stderr
