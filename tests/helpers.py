"""What several test files share: composing an app's config in process, as its command line would."""

from __future__ import annotations

import json
from pathlib import Path

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from omegaconf import DictConfig

from src.config import CONF_DIR


def compose(app: str, *overrides: str) -> DictConfig:
    """`python -m src.<app> <overrides>`'s config, typed and validated, without starting a process."""
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return hydra_compose(app, overrides=list(overrides))


def rows_of(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "elicitation.jsonl").read_text().splitlines()]
