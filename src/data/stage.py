"""The data stage: generate the scenario splits, audit them (hard failures stop the run), write one file
per split and a dataset card. Deterministic: the same config and seed give byte-identical files."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from src import TrainoutError
from src.config import run_dir, to_dict, to_yaml
from src.data import SPLIT_FILE
from src.data.audit import audit_splits, raise_on_hard
from src.data.card import dataset_card
from src.data.generate import GenerateConfig, generate
from src.data.probe import null_model_check, probe
from src.io import atomic_write_text
from src.models import ModelConfig, load_model, load_tokenizer, model_id, reference_tokenizer
from src.rundir import RunDir, is_main_process
from src.scenarios import write_scenarios
from src.tracking import tracked_run


def generate_dataset(cfg: DictConfig, out: Path) -> dict[str, Path]:
    """Every split into `out`, audited, with the dataset card; raises after writing if a hard audit failed.

    Besides the text audits, a random model scores the eval split (the null-model check, hard), and with
    `data.probe` the run's own model does too, so the card says whether it reads the scenarios at all."""
    data_cfg = cfg.data
    if data_cfg.get("path"):
        raise TrainoutError(
            f"the data stage generates scenarios; it does not read data.path={data_cfg.path}. Give your file to "
            "python -m src.eval (data.path=, data.format=) or to python -m src.train, one file per stage"
        )
    gcfg = GenerateConfig(
        seed=data_cfg.seed,
        behaviors=list(data_cfg.behaviors or []) or None,
        scenarios_per_template=data_cfg.scenarios_per_template,
        per_split=dict(data_cfg.per_split),
        split_situations=dict(data_cfg.split_situations),
        heldout_behaviors=list(data_cfg.heldout_behaviors),
    )
    mc = ModelConfig.from_cfg(cfg.model)
    tokenizer = load_tokenizer(mc)
    splits = generate(gcfg)
    audits = audit_splits(splits, tokenizer, balanced_for=reference_tokenizer())
    audits.append(null_model_check(splits["eval"], tokenizer))
    probed = probe(load_model(mc), tokenizer, splits["eval"], model_id(mc)) if data_cfg.probe else None
    paths = {}
    for name, scenarios in splits.items():
        paths[name] = out / SPLIT_FILE.format(name)
        write_scenarios(paths[name], scenarios)
    atomic_write_text(out / "dataset_card.md", dataset_card(splits, gcfg, audits, tokenizer, probed))
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
            paths = generate_dataset(cfg, out)
            if wb is not None:
                wb.summary.update({f"scenarios/{k}": sum(1 for _ in v.open()) for k, v in paths.items()})
        outcome.outputs = {**paths, "card": out / "dataset_card.md"}
    return paths


def cli(cfg: DictConfig) -> None:
    if is_main_process():
        paths = run(cfg, Path(run_dir()))
        print(f"data: wrote {', '.join(p.name for p in paths.values())} and dataset_card.md to {run_dir()}")
