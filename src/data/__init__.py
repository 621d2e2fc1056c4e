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


def load_split(data_cfg: Any, split: str, generated: Path | None, stage: str | None = None) -> list[Scenario]:
    """A split's scenarios, of the behaviors chosen (`select_behaviors`); `stage`: the training stage that reads
    it, when that is not the split's name (`train.split`)."""
    f = split_file(data_cfg, split, generated)
    return select_behaviors(load_scenarios(f, read_format(data_cfg)), data_cfg, split, f, stage)


def read_format(data_cfg: Any) -> str:
    """The format a split is read in: `data.format` for a file read whole; the data stage's splits (a folder,
    or what it generated) are scenarios whatever the file they were split from."""
    return str(data_cfg.format) if data_cfg.path and not Path(data_cfg.path).is_dir() else "scenario"


def select_behaviors(
    scenarios: list[Scenario], data_cfg: Any, split: str, source: Path, stage: str | None = None
) -> list[Scenario]:
    """`data.behaviors`, and `data.heldout_behaviors` for the align split or whatever split the align stage
    trains on, applied to what is read: the data stage applies them when it generates or splits, but a folder
    of split files (the repository's data/) or a file that `src.eval` or `src.train` reads whole holds every
    behavior it was written with."""
    wanted = set(data_cfg.get("behaviors") or [])
    heldout = set(data_cfg.get("heldout_behaviors") or []) if "align" in (split, stage) else set()
    kept = [s for s in scenarios if (not wanted or s.behavior in wanted) and s.behavior not in heldout]
    if scenarios and not kept:
        present = sorted({s.behavior for s in scenarios})
        raise TrainoutError(
            f"{source}: none of its scenarios is of data.behaviors={sorted(wanted)} less the held-out "
            f"{sorted(heldout)}; it has {present}"
        )
    return kept
