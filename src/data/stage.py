"""The data stage: generate the scenario splits, or split the user's own file by template; audit them (hard
failures stop the run), write one file per split and a dataset card. Deterministic: the same config and seed
give byte-identical files."""

from __future__ import annotations

import random
from pathlib import Path

from omegaconf import DictConfig

from src import TrainoutError
from src.config import run_dir, to_dict, to_yaml
from src.data import SPLIT_FILE
from src.data.audit import audit_splits, raise_on_hard
from src.data.card import dataset_card
from src.data.generate import GENERATOR_VERSION, SPLITS, GenerateConfig, generate
from src.data.probe import null_model_check, probe
from src.io import atomic_write_text, file_hash, json_sha256
from src.models import ModelConfig, load_model, load_tokenizer, model_id, reference_tokenizer
from src.rundir import RunDir, is_main_process
from src.scenarios import Scenario, load_scenarios, write_scenarios
from src.tracking import tracked_run


def split_unit(scenarios: list[Scenario]) -> dict[str, tuple[str, str]]:
    """Scenario id -> (behavior, what splits keep whole): its situation where every scenario names one and no
    template spans two (the templates of one situation share their replies' words), else its template, a
    twin's (`<template>.twin`, meta.twin) counted as its original's."""
    situation = {s.id: s.meta.get("situation") for s in scenarios}

    def template(s: Scenario) -> str:
        return s.template.removesuffix(".twin") if s.meta.get("twin") else s.template

    of_template: dict[tuple, set] = {}
    for s in scenarios:
        of_template.setdefault((s.behavior, template(s)), set()).add(situation[s.id])
    by_situation = all(situation.values()) and all(len(v) == 1 for v in of_template.values())
    return {
        s.id: (s.behavior, f"situation {situation[s.id]}" if by_situation else f"template {template(s)}")
        for s in scenarios
    }


def split_user_scenarios(
    scenarios: list[Scenario], weights: dict[str, int], seed: int, heldout: list[str], source: str
) -> dict[str, list[Scenario]]:
    """Deal each behavior's units (split_unit) to the splits in proportion to `weights` (data.split_situations),
    at least one to each split that asks for any, in a seeded order; a held-out behavior gets no align units."""
    unit = split_unit(scenarios)
    splits: dict[str, list[Scenario]] = {name: [] for name in SPLITS}
    if set(weights) - set(SPLITS):
        raise TrainoutError(
            f"data.split_situations names {sorted(set(weights) - set(SPLITS))}; the splits are {SPLITS}"
        )
    split_of: dict[tuple[str, str], str] = {}
    for behavior in sorted({s.behavior for s in scenarios}):
        units = sorted({unit[s.id] for s in scenarios if s.behavior == behavior})
        random.Random(f"{seed}:split:{behavior}").shuffle(units)
        want = {n: w for n, w in weights.items() if w > 0 and not (n == "align" and behavior in heldout)}
        if not want:
            raise TrainoutError(f"data.split_situations gives behavior '{behavior}' no split (every weight is 0)")
        if len(units) < len(want):
            kind = units[0][1].split()[0]
            raise TrainoutError(
                f"{source}: behavior '{behavior}' has {len(units)} {kind}s; the splits {sorted(want)} need one each "
                "(splits never share one). Add scenarios, or set data.split_situations.<split>=0 for a split you "
                "do not use"
            )
        # one each, then the rest by largest remainder (ties: the earlier split of SPLITS)
        rest = len(units) - len(want)
        quota = {n: rest * w / sum(want.values()) for n, w in want.items()}
        count = {n: 1 + int(q) for n, q in quota.items()}
        by_remainder = sorted(want, key=lambda n: (int(quota[n]) - quota[n], SPLITS.index(n)))
        for n in by_remainder[: len(units) - sum(count.values())]:
            count[n] += 1
        for name in (n for n in SPLITS if n in count):
            split_of.update({u: name for u in units[: count[name]]})
            units = units[count[name] :]
    for s in scenarios:  # the file's order within each split
        splits[split_of[unit[s.id]]].append(s)
    return splits


def user_splits(cfg: DictConfig) -> dict[str, list[Scenario]]:
    """The user's file (data.path, data.format) split by template: see split_user_scenarios."""
    data_cfg = cfg.data
    path = Path(data_cfg.path)
    if path.is_dir():
        raise TrainoutError(
            f"data.path={path} is a folder: it is split already. Give it to python -m src.pipeline or src.eval"
        )
    scenarios = load_scenarios(path, str(data_cfg.format))
    present = sorted({s.behavior for s in scenarios})  # a file may name its own behaviors (an MWE file: its stem)
    unknown = sorted({*(data_cfg.behaviors or []), *data_cfg.heldout_behaviors} - set(present))
    if unknown:
        raise TrainoutError(
            f"{path} has no scenario of {unknown} (data.behaviors, data.heldout_behaviors); it has {present}"
        )
    if data_cfg.behaviors:
        scenarios = [s for s in scenarios if s.behavior in data_cfg.behaviors]
    weights = dict(data_cfg.split_situations) or dict(GenerateConfig().split_situations)
    return split_user_scenarios(scenarios, weights, data_cfg.seed, list(data_cfg.heldout_behaviors), str(path))


def generate_dataset(cfg: DictConfig, out: Path) -> dict[str, Path]:
    """Every split into `out`, audited, with the dataset card; raises after writing if a hard audit failed.

    Besides the text audits, a random model scores the eval split (the null-model check, hard), and with
    `data.probe` the run's own model does too, so the card says whether it reads the scenarios at all.
    With data.path, the splits come from the user's file (user_splits) and the audits that the generator
    guarantees by construction (surface balance, the reply-only baseline, the null model) are flags."""
    data_cfg = cfg.data
    source = None
    if data_cfg.get("path"):
        splits = user_splits(cfg)
        digest = f", sha256 {file_hash(data_cfg.path)[:12]}" if Path(data_cfg.path).is_file() else ""  # or a Hub id
        source = f"{data_cfg.path} (data.format={data_cfg.format}{digest})"
        gcfg: object = {"seed": data_cfg.seed, "split_situations": dict(data_cfg.split_situations)}
    else:
        gcfg = GenerateConfig(
            seed=data_cfg.seed,
            behaviors=list(data_cfg.behaviors or []) or None,
            scenarios_per_template=data_cfg.scenarios_per_template,
            per_split=dict(data_cfg.per_split),
            split_situations=dict(data_cfg.split_situations),
            heldout_behaviors=list(data_cfg.heldout_behaviors),
        )
        splits = generate(gcfg)
    mc = ModelConfig.from_cfg(cfg.model)
    tokenizer = load_tokenizer(mc)
    audits = audit_splits(splits, tokenizer, generated=source is None, balanced_for=reference_tokenizer())
    audits.append(null_model_check(splits["eval"], tokenizer, hard=source is None))
    probed = probe(load_model(mc), tokenizer, splits["eval"], model_id(mc)) if data_cfg.probe else None
    paths = {}
    for name, scenarios in splits.items():
        paths[name] = out / SPLIT_FILE.format(name)
        write_scenarios(paths[name], scenarios)
    atomic_write_text(out / "dataset_card.md", dataset_card(splits, gcfg, audits, tokenizer, probed, source))
    raise_on_hard(audits)
    return paths


def data_settings(cfg: DictConfig) -> str:
    """The hash of what a data run's files follow from besides the user's file: the data settings, the model
    (its tokenizer audits and its probe fill the card) and the generator's version."""
    model = model_id(ModelConfig.from_cfg(cfg.model))
    return json_sha256({"data": to_dict(cfg.data), "model": model, "generator": GENERATOR_VERSION})


def run(cfg: DictConfig, out: Path) -> dict[str, Path]:
    """The data stage into `out`. A finished run is reused only for the same file and settings (a run that
    trained on its splits may be reading them); an unfinished one is written again from the start, so a
    fixed file or setting goes into the folder of the run it failed in. Returns split name -> file."""
    rd = RunDir(out, "data")
    inputs = {"source": cfg.data.path} if cfg.data.get("path") and Path(cfg.data.path).is_file() else None
    settings = data_settings(cfg)
    if rd.is_complete():
        rd.refuse_changed_inputs(inputs or {}, settings=settings)  # its splits came from these, as they were
        print(f"data: {out} is complete; reusing it")
        return {k: Path(v["path"]) for k, v in rd.manifest["outputs"].items() if k != "card"}
    with rd.running(to_yaml(cfg), cfg.seed, inputs=inputs, settings_sha256=settings) as outcome:
        with tracked_run(cfg, out, job_type="data", config=to_dict(cfg)) as wb:
            paths = generate_dataset(cfg, out)
            if wb is not None:
                wb.summary.update({f"scenarios/{k}": sum(1 for _ in v.open()) for k, v in paths.items()})
        outcome.outputs = {**paths, "card": out / "dataset_card.md"}
    return paths


def cli(cfg: DictConfig) -> None:
    if is_main_process():
        paths = run(cfg, Path(run_dir()))
        print(f"data: {', '.join(p.name for p in paths.values())} and dataset_card.md in {run_dir()}")
        print(f"  as an override: \"data.path='{run_dir()}'\"")  # run folders are named key=value,...
