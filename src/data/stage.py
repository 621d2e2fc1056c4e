"""The data stage: generate the scenario splits, audit them (hard failures stop the run), write one file
per split and a dataset card. Deterministic: the same config and seed give byte-identical files."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from src.config import run_dir, to_dict, to_yaml
from src.data import SPLIT_FILE
from src.data.audit import audit_splits, raise_on_hard
from src.data.card import dataset_card
from src.data.generate import GenerateConfig, generate
from src.io import atomic_write_text
from src.models import ModelConfig, load_tokenizer
from src.rundir import RunDir, is_main_process
from src.scenarios import write_scenarios
from src.tracking import tracked_run


def generate_dataset(data_cfg: DictConfig, out: Path, tokenizer) -> dict[str, Path]:
    """Every split into `out`, audited, with the dataset card; raises after writing if a hard audit failed."""
    gcfg = GenerateConfig(
        seed=data_cfg.seed,
        preset=str(data_cfg.preset),
        behaviors=list(data_cfg.behaviors or []) or None,
        scenarios_per_template=data_cfg.scenarios_per_template,
        per_split=dict(data_cfg.per_split),
        split_templates=dict(data_cfg.split_templates),
        heldout_behaviors=list(data_cfg.heldout_behaviors),
    )
    splits = generate(gcfg)
    audits = audit_splits(splits, tokenizer)
    paths = {}
    for name, scenarios in splits.items():
        paths[name] = out / SPLIT_FILE.format(name)
        write_scenarios(paths[name], scenarios)
    atomic_write_text(out / "dataset_card.md", dataset_card(splits, gcfg, audits, tokenizer))
    raise_on_hard(audits)
    return paths


def run(cfg: DictConfig, out: Path) -> dict[str, Path]:
    """The data stage into `out`; a finished run is reused. Returns split name -> file."""
    rd = RunDir(out, "data")
    if rd.is_complete():
        print(f"data: {out} is complete; reusing it")
        return {k: Path(v["path"]) for k, v in rd.manifest["outputs"].items() if k != "card"}
    with rd.running(to_yaml(cfg), cfg.seed) as outcome:
        with tracked_run(cfg, out, job_type="data", config=to_dict(cfg)) as wb:
            paths = generate_dataset(cfg.data, out, load_tokenizer(ModelConfig.from_cfg(cfg.model)))
            if wb is not None:
                wb.summary.update({f"scenarios/{k}": sum(1 for _ in v.open()) for k, v in paths.items()})
        outcome.outputs = {**paths, "card": out / "dataset_card.md"}
    return paths


def cli(cfg: DictConfig) -> None:
    if is_main_process():
        paths = run(cfg, Path(run_dir()))
        print(f"data: wrote {', '.join(p.name for p in paths.values())} and dataset_card.md to {run_dir()}")
