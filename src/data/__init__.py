"""Where each split's scenarios live (a generated folder, a data run directory, or the user's file), and loading them.

The stage that generates them is src/data/stage.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from src import TrainoutError
from src.rundir import RunDir
from src.scenarios import Scenario, load_scenarios

SPLIT_FILE = "scenarios_{}.jsonl"


def split_file(data_cfg: Any, split: str, generated: Path | None) -> Path:
    """Where a split's scenarios live: the user's file, a data run dir, or the generated folder."""
    if data_cfg.path:
        p = Path(data_cfg.path)
        if p.is_dir():
            status = RunDir(p, "data").manifest.get("status")
            if status not in (None, "complete"):  # the committed data/ has no manifest: it is not a run
                raise TrainoutError(
                    f"data.path '{p}' is a data run that did not finish (status {status}): its splits may be "
                    "partial or have failed an audit. Rerun it, or see its dataset_card.md and manifest.json"
                )
            f = p / SPLIT_FILE.format(split)
            if not f.exists():
                raise TrainoutError(f"data.path '{p}' has no {f.name} (is it a `python -m src.data` run directory?)")
            return f
        return p
    if generated is None:
        raise TrainoutError(
            "no data: set data.path to a `python -m src.data` run folder, or data.path=data for the committed splits"
        )
    return generated / SPLIT_FILE.format(split)


def load_split(data_cfg: Any, split: str, generated: Path | None) -> list[Scenario]:
    f = split_file(data_cfg, split, generated)
    fmt = str(data_cfg.format) if data_cfg.path and not Path(data_cfg.path).is_dir() else "scenario"
    return load_scenarios(f, fmt)
