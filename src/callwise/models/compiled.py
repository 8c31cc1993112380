"""The booster's raw margin from trees compiled to machine code (lleaves: LLVM through llvmlite, no C compiler).

LightGBM's own ``predict`` walks every tree through a general interpreter; the same trees compiled for this
CPU score the same margin several times faster (docs/decisions/0019-compiled-scoring.md). Only the margin is
compiled: Platt calibration and the ``pred_contrib`` reasons stay on LightGBM.

Compiling takes seconds, so the object code is kept in the saved model's directory (``compiled/``, private like
the directory), named by a hash of everything that shapes it: the booster text, the compiler versions, the CPU.
A saved model is compiled once per machine; a changed booster or another CPU never finds a stale file. Where
lleaves cannot be imported or fails to compile, :func:`compile_trees` warns and returns None, and LightGBM scores.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import tempfile
import time
import warnings
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from callwise.i18n.errors import Translated
from callwise.security.files import FILE_MODE, private_dir

COMPILER = "lleaves"
CACHE_DIR = "compiled"
# lleaves' defaults: 64-bit doubles (LightGBM's own precision, so margins agree to ~1e-14), cache-blocks of 34 trees.
FLAGS: dict[str, Any] = {"raw_score": True, "use_fp64": True, "fblocksize": 34, "fcodemodel": "large", "finline": True}


class CompiledScoringWarning(Translated, UserWarning):
    """Compiled scoring is not available here; LightGBM's own predict scores instead (same numbers, slower)."""


@dataclass(frozen=True)
class CompiledTrees:
    """A compiled booster: ``margin(X)`` is LightGBM's ``predict(X, raw_score=True)``, within ~1e-14."""

    model: Any  # lleaves.Model, compiled
    key: str  # the hash that names the cached object code
    seconds: float  # compiling (or loading the cached object code) took this long
    cached: bool  # True when the object code came from the model directory's cache

    def margin(self, X: np.ndarray, n_jobs: int) -> np.ndarray:
        """Raw margins of the rows of ``X`` (float matrix as ``prepare_matrix`` makes it) on ``n_jobs`` threads.

        Each row is computed alone, in the same order of trees, whatever thread takes it: the same input gives
        the same bits for any ``n_jobs``.
        """
        # lleaves hands the matrix's memory to the compiled code: it must be one contiguous float64 block.
        data = np.ascontiguousarray(X, dtype=np.float64)
        if len(data) == 0:
            return np.zeros(0)
        return np.asarray(self.model.predict(data, n_jobs=max(1, min(n_jobs, len(data)))))


def compile_trees(booster_text: str, cache_dir: Path | None = None) -> CompiledTrees | None:
    """``booster_text`` (LightGBM's model text) compiled, or loaded from ``cache_dir/compiled/`` when there.

    None, with a :class:`CompiledScoringWarning`, when the compiler is missing or fails: the caller scores
    with LightGBM. A cache directory that cannot be written is no failure: the trees are compiled in memory.
    """
    try:
        import lleaves
        import llvmlite.binding as llvm
    except ImportError as exc:
        _warn("models.compiled.missing", reason=type(exc).__name__)
        return None
    start = time.perf_counter()
    try:
        key = cache_key(booster_text, llvm)
        with tempfile.TemporaryDirectory(prefix="callwise-trees-") as tmp:
            model_file = Path(tmp) / "booster.txt"  # lleaves reads the model from a file
            model_file.write_text(booster_text, encoding="utf-8")
            model = lleaves.Model(model_file=str(model_file))
            cached = _compile(model, key, cache_dir)
    except Exception as exc:  # an LLVM or parser failure must not stop scoring: LightGBM can still score
        _warn("models.compiled.failed", reason=type(exc).__name__)
        return None
    return CompiledTrees(model, key, round(time.perf_counter() - start, 3), cached)


def cache_key(booster_text: str, llvm: Any) -> str:
    """What the object code depends on: the trees, lleaves, llvmlite, the flags, and the CPU it targets."""
    try:
        features = llvm.get_host_cpu_features().flatten()
    except RuntimeError:  # LLVM cannot tell this CPU's features; lleaves then compiles without any
        features = ""
    parts = [booster_text, _version("lleaves"), _version("llvmlite"), repr(sorted(FLAGS.items()))]
    parts += [llvm.get_process_triple(), llvm.get_host_cpu_name(), features]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def cache_file(cache_dir: Path, key: str) -> Path:
    return cache_dir / CACHE_DIR / f"{COMPILER}-{key[:32]}.o"


def _compile(model: Any, key: str, cache_dir: Path | None) -> bool:
    """Compile ``model`` (from the cache when a trusted file is there); True when the cache served it."""
    if cache_dir is None:
        model.compile(**FLAGS)
        return False
    target = cache_file(cache_dir, key)
    if _trusted(target):
        model.compile(cache=str(target), **FLAGS)
        return True
    try:
        folder = private_dir(target.parent)
    except OSError:  # a read-only model directory: compile in memory, every time it is loaded
        model.compile(**FLAGS)
        return False
    # lleaves writes the object code to a path that must not exist yet (an existing one it would load), so a
    # fresh name in the private folder; renamed into place whole, no reader ever sees half a file.
    partial = folder / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        model.compile(cache=str(partial), **FLAGS)
        if partial.exists():
            os.chmod(partial, FILE_MODE)
            os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return False


def _trusted(path: Path) -> bool:
    """Object code is run, not read: load only a regular file of this user that nobody else can change."""
    try:
        info = path.lstat()
    except OSError:
        return False
    own = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return stat.S_ISREG(info.st_mode) and own and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def _warn(key: str, **values: object) -> None:
    warnings.warn(CompiledScoringWarning(key, compiler=COMPILER, **values), stacklevel=3)
