"""The architecture's rules, checked by their tools: the direction of dependencies between the apps
(import-linter, pyproject.toml) and the types of the services, selectors and shapes (mypy with django-stubs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from django.conf import settings

BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=600)


def test_apps_depend_one_way() -> None:
    result = _run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_services_selectors_and_shapes_type_check() -> None:
    result = _run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found")
