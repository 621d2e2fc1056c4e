"""Run directories: each stage's local source of truth.

A run directory holds the resolved `config.yaml`, a `manifest.json` (inputs with content hashes,
parent checkpoint, seed, git revision, package versions, status and every resume) and the stage's
outputs. Files are replaced atomically; result rows are appended and keyed, so a killed run resumes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

from src import TrainoutError
from src.io import atomic_write_text, file_hash, flock, read_json

LOCK = ".running.lock"  # held by the process writing a run directory (`RunDir.exclusive`)
PACKAGES = ("torch", "transformers", "trl", "peft", "accelerate", "datasets", "hydra-core", "wandb", "trainout")


def _hashes(inputs: dict[str, str | Path | dict] | None) -> dict[str, dict]:
    """{name: {path, sha256}} of each input file or folder; an input given as such a dict is hashed already
    (a Hub dataset, whose content hash is that of the rows read)."""
    return {
        k: v if isinstance(v, dict) else {"path": str(v), "sha256": file_hash(v)} for k, v in (inputs or {}).items()
    }


def is_main_process() -> bool:
    """Rank 0 (or a plain single process): the only one that writes run directories and W&B."""
    return int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0"))) == 0


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def git_revision() -> str | None:
    try:
        root = Path(__file__).resolve().parent.parent
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "") if rev.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pass
    return out


@dataclass
class Outcome:
    """What a finished stage records: output files (hashed into the manifest) and extra manifest fields."""

    outputs: dict[str, str | Path] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)


class RunDir:
    """One stage's run directory and its manifest. Only the main process writes (`writer`)."""

    def __init__(self, path: str | Path, stage: str, writer: bool | None = None):
        self.path = Path(path)
        self.stage = stage
        self.manifest_path = self.path / "manifest.json"
        self.writer = is_main_process() if writer is None else writer

    @contextlib.contextmanager
    def running(
        self,
        config_yaml: str,
        seed: int,
        inputs: dict[str, str | Path] | None = None,
        parent: str | None = None,
        same_inputs: bool = False,
        **extra: Any,
    ) -> Iterator[Outcome]:
        """The stage's lifecycle: start (a rerun is recorded as a resume), then complete with what the
        body put in the yielded Outcome, or fail with the error and re-raise it. `same_inputs`: a stage that
        adds to what an earlier run left (rows, trainer checkpoints) refuses to resume on other inputs."""
        with self.exclusive() if self.writer else contextlib.nullcontext():
            if self.writer:
                self.start(config_yaml, seed, inputs, parent, same_inputs, **extra)
            outcome = Outcome()
            try:
                yield outcome
            except BaseException as e:
                if self.writer:
                    self.fail(e)
                raise
            if self.writer:
                self.complete(outcome.outputs, **outcome.fields)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """One writing process per run directory. The same command started twice (a second terminal, a requeued
        job whose first attempt still runs) would interleave result rows and overwrite the manifest; the second
        stops at once instead. The OS drops the lock when its process dies, so a killed run still resumes."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / LOCK, "a+") as f:
            try:
                flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.seek(0)
                holder = f.read().strip() or "another process"
                raise TrainoutError(
                    f"{self.path}: {holder} is running this {self.stage} stage now; wait for it to finish, "
                    "or run into another folder (hydra.run.dir=...)"
                ) from None
            f.seek(0)
            f.truncate()
            f.write(f"pid {os.getpid()} on {platform.node()} (since {now()})")
            f.flush()
            try:
                yield
            finally:
                flock(f, fcntl.LOCK_UN)

    # --- files
    def file(self, name: str) -> Path:
        return self.path / name

    def write_text(self, name: str, text: str) -> Path:
        atomic_write_text(self.path / name, text)
        return self.path / name

    def write_json(self, name: str, obj: Any) -> Path:
        return self.write_text(name, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")

    # --- manifest
    @property
    def manifest(self) -> dict:
        if self.manifest_path.exists():
            return read_json(self.manifest_path)
        return {}

    def is_complete(self) -> bool:
        return self.manifest.get("status") == "complete"

    def start(
        self,
        config_yaml: str,
        seed: int,
        inputs: dict[str, str | Path] | None = None,
        parent: str | None = None,
        same_inputs: bool = False,
        **extra: Any,
    ) -> dict:
        """Mark the run as running. A rerun is recorded as a resume, with the command it replaces; a config
        that differs from the one before is kept beside the new one (`config.resume<n>.yaml`), not lost."""
        self.path.mkdir(parents=True, exist_ok=True)
        m = self.manifest
        hashes = _hashes(inputs)
        if m and same_inputs:
            self._refuse_other_inputs(m, hashes, extra.get("checkpoints"), extra.get("settings_sha256"))
            # what it holds came from every input and checkpoint named so far, not only this command's: a label
            # left out of one resume keeps its hash, so a changed model under it is still refused later
            hashes = {**m.get("inputs", {}), **hashes}
            if extra.get("checkpoints") is not None:
                extra = {**extra, "checkpoints": {**(m.get("checkpoints") or {}), **extra["checkpoints"]}}
        if m:
            resume = {"at": now(), "previous_status": m.get("status"), "previous_command": m.get("command")}
            before = self.path / "config.yaml"
            if before.exists() and before.read_text() != config_yaml:
                resume["previous_config"] = f"config.resume{len(m.get('resumes', [])) + 1}.yaml"
                self.write_text(resume["previous_config"], before.read_text())
            m.setdefault("resumes", []).append(resume)
        else:
            m = {"stage": self.stage, "created": now(), "resumes": []}
        m.update(
            {
                "status": "running",
                "seed": seed,
                "git_revision": git_revision(),
                "versions": versions(),
                "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
                "inputs": hashes,
                "parent_checkpoint": parent,
                "error": None,
                **extra,
            }
        )
        self.write_text("config.yaml", config_yaml)
        self.write_json("manifest.json", m)
        return m

    def refuse_changed_inputs(
        self, inputs: dict[str, str | Path], checkpoints: dict | None = None, settings: str | None = None
    ) -> None:
        """For a finished run about to be reused: stop if an input it names (a file, a parent checkpoint's hash,
        the hash of the settings that determine its result) has changed since."""
        self._refuse_other_inputs(self.manifest, _hashes(inputs), checkpoints, settings)

    def _refuse_other_inputs(self, m: dict, inputs: dict, checkpoints: dict | None, settings: str | None) -> None:
        """What this run already holds came from the inputs its manifest names; new ones would mix with it."""
        was = {k: v["sha256"] for k, v in m.get("inputs", {}).items()}
        was.update({f"checkpoint {c}": h for c, h in (m.get("checkpoints") or {}).items()})
        was.update({"settings": m["settings_sha256"]} if m.get("settings_sha256") else {})
        now_ = {k: v["sha256"] for k, v in inputs.items()}
        now_.update({f"checkpoint {c}": h for c, h in (checkpoints or {}).items()})
        now_.update({"settings": settings} if settings else {})
        changed = sorted(k for k in was.keys() & now_.keys() if was[k] != now_[k])
        if changed:
            raise TrainoutError(
                f"{self.path}: {', '.join(changed)} changed since this {self.stage} run started, and resuming would "
                "mix what it holds with the new: run into a new folder (hydra.run.dir=...) or remove this one"
            )

    def update(self, **fields: Any) -> None:
        m = self.manifest
        m.update(fields)
        self.write_json("manifest.json", m)

    def complete(self, outputs: dict[str, str | Path] | None = None, **fields: Any) -> None:
        out = _hashes({k: v for k, v in (outputs or {}).items() if Path(v).exists()})
        self.update(status="complete", finished=now(), outputs=out, **fields)

    def fail(self, error: BaseException) -> None:
        if self.manifest_path.exists():
            stopped = isinstance(error, (KeyboardInterrupt, SystemExit))  # Ctrl-C, or SIGTERM (see one_line_errors)
            status, text = (
                ("interrupted", "stopped by a signal") if stopped else ("failed", f"{type(error).__name__}: {error}")
            )
            self.update(status=status, finished=now(), error=text)
