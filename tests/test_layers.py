"""The layers of the code (.importlinter, docs/architecture.md) hold, and the
check would catch a break: a copy of the package with one upward import
planted in it fails `lint-imports`."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = str(Path(sys.executable).with_name("lint-imports"))


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([LINT, "--config", str(root / ".importlinter"), "--no-cache"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)


def copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "xietong", tmp_path / "xietong",
                    ignore=shutil.ignore_patterns("locale", "static", "templates", "__pycache__", "*.po", "*.mo"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_layers_hold():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_planted_upward_import_fails_the_check(tmp_path):
    root = copy_of_the_package(tmp_path)
    assert lint(root).returncode == 0
    with open(root / "xietong" / "org" / "queries.py", "a") as queries:
        queries.write("\n\ndef _planted():\n    from xietong.requests import queries  # noqa: F401\n")
    result = lint(root)
    assert result.returncode == 1
    assert "xietong.org.queries -> xietong.requests.queries" in result.stdout


def test_a_planted_cycle_inside_an_app_fails_the_check(tmp_path):
    root = copy_of_the_package(tmp_path)
    with open(root / "xietong" / "work" / "models.py", "a") as models:
        models.write("\n\ndef _planted():\n    from xietong.work import actions  # noqa: F401\n")
    result = lint(root)
    assert result.returncode == 1
    assert "No cycles are allowed in xietong.work" in result.stdout
