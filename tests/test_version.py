"""One version, written once in pyproject.toml: the CLI, the package and the changelog agree with it."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.version import Version
from typer.testing import CliRunner

import callwise
from callwise.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def test_callwise_version_prints_the_installed_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"callwise {_pyproject_version()}\n"


def test_the_installed_command_prints_it_too():
    command = Path(sys.executable).with_name("callwise")
    done = subprocess.run([str(command), "--version"], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == f"callwise {version('callwise')}"


def test_the_package_reads_its_version_from_the_metadata():
    assert callwise.__version__ == version("callwise") == _pyproject_version()


def test_the_version_is_the_changelogs_newest_section():
    """A released section is the version; an unreleased one is what the version is a pre-release of."""
    changelog = (ROOT / "docs" / "changelog.md").read_text(encoding="utf-8")
    heading = re.search(r"^## (\S+)(.*)$", changelog, flags=re.M)
    assert heading, "docs/changelog.md has no version section"
    newest, unreleased = Version(heading[1]), "unreleased" in heading[2]
    current = Version(_pyproject_version())
    if unreleased:
        assert current.is_prerelease and Version(current.base_version) == newest, current
    else:
        assert current == newest
