"""Weights & Biases tracking: offline by default, online when the user is logged in, off with tracker=none.

One W&B run per stage run: job_type = stage, group = experiment name, the resolved config as the run
config. `wandb.finish()` always runs, also on error, so a multirun never reuses a live run.
"""

from __future__ import annotations

import contextlib
import logging
import netrc
import os
from pathlib import Path
from typing import Any, Iterator

from src import TrainoutError
from src.rundir import is_main_process

log = logging.getLogger(__name__)


_online_failed = False  # an online run chosen by `auto` could not start in this process: later ones go offline


def _logged_in() -> bool:
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is not None
    except (OSError, netrc.NetrcParseError):
        return False


def wandb_mode(tracker: Any) -> str | None:
    """None when tracking is off; else the W&B mode. WANDB_MODE overrides the config."""
    if tracker is None or tracker.get("name", "wandb") == "none":
        return None
    if os.environ.get("WANDB_MODE"):
        return "offline" if os.environ["WANDB_MODE"] == "dryrun" else os.environ["WANDB_MODE"]  # W&B's old name
    mode = str(tracker.get("mode", "auto"))
    if mode == "auto":
        return "online" if _logged_in() and not _online_failed else "offline"
    return mode


@contextlib.contextmanager
def tracked_run(cfg: Any, run_dir: str | Path, job_type: str, config: dict | None = None) -> Iterator[Any]:
    """Yield a live W&B run (or None when off or not rank 0); finish it whatever happens."""
    mode = wandb_mode(cfg.get("tracker")) if is_main_process() else None
    if mode is None or mode == "disabled":
        yield None
        return
    import wandb

    os.environ.setdefault("WANDB_SILENT", "true")
    tracker = cfg.tracker
    settings = dict(
        project=tracker.get("project", "trainout"),
        entity=tracker.get("entity"),
        dir=str(run_dir),
        job_type=job_type,
        group=cfg.get("name"),
        tags=list(cfg.get("tags") or []),
        name=f"{cfg.get('name')}-{job_type}",
        config=config,
        reinit="finish_previous",
    )
    try:
        run = wandb.init(mode=mode, **settings)
    except Exception as e:  # W&B raises its own error types (CommError, UsageError, ...) for a server it cannot use
        chosen = os.environ.get("WANDB_MODE") or str(tracker.get("mode", "auto")) != "auto"
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        if mode != "online" or chosen:
            raise TrainoutError(
                f"W&B ({mode}) could not start: {reason}; "
                "tracker.mode=offline logs locally, tracker=none turns tracking off"
            ) from None
        # online only because a login was found (tracker.mode=auto): a run must not be lost to the network
        log.warning("W&B online could not start (%s); logging offline instead (wandb sync later)", reason)
        global _online_failed
        _online_failed = True  # this process's later runs skip the wait
        run = wandb.init(mode="offline", **settings)
    ok = False
    try:
        yield run
        ok = True
    finally:
        run.finish(exit_code=0 if ok else 1)


def offline_run_dirs(run_dir: str | Path) -> list[Path]:
    return sorted(Path(run_dir).glob("wandb/offline-run-*"))
