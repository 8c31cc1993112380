"""The environment is the lock: what `make` installs is exactly requirements.lock, and the lock fits pyproject.toml.

pyproject.toml keeps ranges for people who use callwise as a library; requirements.lock pins every package (with
its hashes) so that a fresh clone next month installs what was tested today. `make lock` refreshes it.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from dataclasses import dataclass
from importlib.metadata import distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
STAMP = ".venv/.installed"  # what make's install writes last
INSTALLERS = {"pip", "uv"}  # locked so their versions are pinned too; `make lock` adds them


@dataclass(frozen=True)
class Pin:
    name: str
    version: Version
    requirement: Requirement  # name==version with its environment marker, if any
    hashes: tuple[str, ...]

    def applies(self) -> bool:
        return self.requirement.marker is None or self.requirement.marker.evaluate()


def read_lock(text: str) -> list[Pin]:
    """The entries of a pip requirements file written by `uv pip compile --generate-hashes`."""
    pins = []
    for entry in re.split(r"\n(?=\S)", text):
        if entry.startswith("#") or not entry.strip():
            continue
        head, *rest = entry.split("\\\n")
        requirement = Requirement(head.strip())
        (spec,) = requirement.specifier
        assert spec.operator == "==", f"requirements.lock: {head.strip()} is not pinned with =="
        hashes = tuple(m for line in rest for m in re.findall(r"--hash=sha256:([0-9a-f]{64})", line))
        pins.append(Pin(canonicalize_name(requirement.name), Version(spec.version), requirement, hashes))
    return pins


@pytest.fixture(scope="module")
def pins() -> list[Pin]:
    return read_lock(LOCK.read_text(encoding="utf-8"))


def _installed() -> dict[str, str]:
    return {canonicalize_name(d.metadata["Name"]): d.version for d in distributions()}


def _declared() -> list[Requirement]:
    """What pyproject.toml asks for: the dependencies, the dev and spark extras and the build backend."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = project["project"]["optional-dependencies"]
    names = project["project"]["dependencies"] + extras["dev"] + extras["spark"]
    return [Requirement(r) for r in names + project["build-system"]["requires"]]


def test_the_lock_reads_as_pins_with_hashes(pins):
    assert len(pins) > 50
    for pin in pins:
        assert pin.hashes, f"requirements.lock: {pin.name} has no hash"


def test_every_locked_package_is_installed_at_its_locked_version(pins):
    installed = _installed()
    wrong = {p.name: (str(p.version), installed.get(p.name)) for p in pins if p.applies()}
    wrong = {name: pair for name, pair in wrong.items() if pair[1] is None or Version(pair[1]) != Version(pair[0])}
    assert not wrong, f"installed ≠ requirements.lock (locked, installed): {wrong}; `rm {STAMP} && make` installs it"


def test_nothing_is_installed_that_the_lock_does_not_name(pins):
    extra = set(_installed()) - {p.name for p in pins} - {"callwise"}
    assert not extra, f"installed but not in requirements.lock: {sorted(extra)}; `rm {STAMP} && make` removes them"


def test_the_lock_satisfies_every_range_of_pyproject(pins):
    locked: dict[str, list[Pin]] = {}
    for pin in pins:
        locked.setdefault(pin.name, []).append(pin)
    for requirement in _declared():
        candidates = locked.get(canonicalize_name(requirement.name))
        assert candidates, f"{requirement} is in pyproject.toml but not in requirements.lock; run `make lock`"
        for pin in candidates:  # one pin per platform or Python branch, when they differ
            assert requirement.specifier.contains(pin.version, prereleases=True), f"{pin.name}=={pin.version}"
    assert set(locked) >= INSTALLERS


def test_a_changed_lock_reinstalls_with_its_hashes_checked():
    """`make` plans the install again when only the lock changed (what-if), through uv and pip's hash checks."""
    plan = subprocess.run(
        ["make", "-n", "-W", "requirements.lock", STAMP],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "uv pip sync" in plan and plan.count("--require-hashes") == 2, plan
    assert "--no-deps" in plan and "-e ." in plan, plan
