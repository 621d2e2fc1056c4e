"""`python -m src.eval.compare runs=[<dirs or globs>]`: put checkpoints from any eval runs side by side.

Reads every eval run under the given paths (a multirun folder, a trajectory of checkpoints, runs from
different days), and writes `comparison.csv` (one row per checkpoint x behavior x attack), overlay
plots, `verdicts.json` and `report.md` that opens with the gates and the answer, then the evidence.
Differences between checkpoints come with paired bootstrap CIs. Rows a pipeline scored on the implant
split (`in_distribution/elicitation.jsonl`) are read beside them for the in-distribution table.

Runs that differ only in `seed` (`python -m src.pipeline -m experiment=seeds`) are one configuration
trained several times: their rows share labels, carry `train_seed`, and every CI carries the spread
between the trained models (a Student-t interval over seeds) on top of the template draw they share.
Which configuration a sweep would pick is read from each run's tuning split (`val/elicitation.jsonl`,
written by sweep jobs), never from its eval rows: `selection.json` and the report's "Sweep choice" section.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import logging
import re
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import hydra
import yaml
from omegaconf import DictConfig

from src import TrainoutError
from src.config import CONF_DIR, one_line_errors, run_dir, to_dict, to_yaml
from src.eval.attacks.base import ATTACK_ARM, arm_of
from src.eval.judge import JUDGE_FILE, judge_section
from src.eval.report import evidence_withholds, plot_curves, plot_nll, write_report
from src.eval.summary import (
    NO_VERDICT,
    REFERENCE_ARMS,
    RUN_TAG,
    TRAIN_SEED,
    Judgement,
    build_curve,
    check_bootstrap,
    in_distribution_table,
    judge,
    paired_difference,
    point,
    summarize,
)
from src.io import atomic_save_figure, atomic_write_text, read_json, read_rows
from src.lm.measure import evidence_pairs, measurement
from src.models import CHECKPOINT_INFO
from src.rundir import RunDir
from src.tracking import tracked_run

log = logging.getLogger(__name__)

IN_DISTRIBUTION = "in_distribution"  # the eval run's sub-folder of rows scored on the implant split
EVAL_SPLIT = "eval"  # held out for the verdicts: nothing that tunes or selects may read it
# A run's training seed, and the keys that follow it (`${seed}` in conf/scenarios.yaml and conf/judge.yaml)
# unless pinned: replicates of one configuration, never a swept variable.
SEED_KEYS = ("seed", "data.seed", "judge.seed")
JUDGE_ROW_KEYS = ("judge", "checkpoint", "scenario_id", "template", "label")  # what judge_summary reads
# what the summaries read of every elicitation row (src.eval.elicit writes these and more)
ROW_KEYS = (
    "checkpoint",
    "behavior",
    "attack",
    "strength",
    "seed",
    "scenario_id",
    "template",
    "logp_deceptive",
    "logp_honest",
    "p_behavior",
    "prompt_tokens",
)
IGNORED_KEYS = re.compile(r"^(hydra|checkpoints|tracker|tags)(\.|$)")
LABEL_SKIP = {
    "name",
    "pipeline.evaluate",
    "pipeline.stage_cache",
}  # differ between runs, but say nothing about the model


# how the replies were sampled for the judge, how fast scoring ran, how many bootstrap replicates: they tell
# runs apart (a run is its whole config) but say nothing of the rows a label stands for, so labels leave them out
LABEL_SKIP_PREFIXES = ("judge.", "scoring.", "bootstrap")


def _labels(key: str) -> bool:
    """Whether a differing config key goes into the short label of a run's checkpoints."""
    return key not in LABEL_SKIP and not key.startswith(LABEL_SKIP_PREFIXES)


def find_runs(patterns: list[str]) -> list[Path]:
    """Eval run directories (holding elicitation.jsonl) under each path or glob, in a stable order."""
    found: list[Path] = []
    for pattern in patterns:
        matches = sorted(glob.glob(str(pattern))) or [pattern]
        for m in matches:
            p = Path(m)
            if not p.exists():
                raise TrainoutError(f"runs: '{pattern}' matches nothing")
            for rows in (
                [p / "elicitation.jsonl"]
                if (p / "elicitation.jsonl").exists()
                else sorted(p.rglob("elicitation.jsonl"))
            ):
                inner = (rows.parent.parent / "elicitation.jsonl").exists()  # in_distribution/, val/ of a run
                if rows.parent not in found and not (inner and rows.parent != p):
                    found.append(rows.parent)
    if not found:
        raise TrainoutError(f"runs: no eval run (a folder with elicitation.jsonl) under {patterns}")
    return found


def _flatten(d: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(d, dict):
        out = {}
        for k, v in d.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: json.dumps(d) if isinstance(d, list) else d}


def differing_config(configs: list[dict]) -> list[str]:
    """Config keys whose values differ between runs: the swept variables."""
    flat = [_flatten(c) for c in configs]
    keys = sorted(set().union(*flat))
    return [k for k in keys if not IGNORED_KEYS.match(k) and len({str(f.get(k)) for f in flat}) > 1]


def _training_run(checkpoint: str, *files: str) -> Path | None:
    """The folder of the training run that made a checkpoint (`<stage>/final`, `<stage>/checkpoints/checkpoint-N`,
    or the stage folder itself) that holds `files`; None for base or a checkpoint made elsewhere."""
    if checkpoint == "base":
        return None
    folders = (Path(checkpoint), *Path(checkpoint).parents[:2])
    return next((f for f in folders if all((f / name).exists() for name in files)), None)


def _capability(checkpoint_path: str) -> dict:
    """Capability retention recorded by the training run that made a checkpoint, if any."""
    folder = _training_run(checkpoint_path, CHECKPOINT_INFO, "metrics.json")
    if folder is None:
        return {}
    cap = read_json(folder / "metrics.json").get("capability") or {}
    return {
        f"capability.{k}": v
        for k, v in _flatten(cap).items()
        if k.split(".")[0] in ("trained", "delta") and isinstance(v, (int, float))
    }


@dataclass
class Run:
    """One eval run as compare reads it. Runs with the same `tag` are one configuration trained with
    different seeds (`train_seed`): their rows share labels, and the CIs carry the spread between seeds."""

    path: Path
    config: dict[str, Any]  # flattened config.yaml
    tag: str  # the swept values it set (seeds aside), else its name
    train_seed: int | None
    plain: bool  # every run compared has this tag: labels need no tag

    @property
    def suffix(self) -> str:
        """What follows a checkpoint's name in this run's labels: '' when every run is one configuration."""
        return "" if self.plain else f" [{self.tag}]"

    def label(self, checkpoint: str) -> str:
        """What a checkpoint of this run is called in the comparison (its rows, judge rows and tables)."""
        return checkpoint + self.suffix


def declared_k_star(described: list[Run], at: int | None, unfinished: set[Path]) -> dict[str, int | None]:
    """k* for each configuration's verdicts, keyed by its labels' suffix (`Run.suffix`; `summary.judge` reads
    it): what its eval runs declared (`verdict.at`), else None, the largest strength they scored, as their own
    reports read it. A run not yet finished has not scored its largest strength yet: its k* is the top of its
    schedule, so it gets "k* not scored" rather than a verdict at a lower strength than it declared. A
    compare-time `verdict.at` must be a strength every run scores, and agree with any run's own: a strength
    chosen after the rows were seen is a searched one."""
    out: dict[str, int | None] = {}
    for run in described:
        strengths = json.loads(run.config.get("attack.strengths") or "[]")
        own = run.config.get("verdict.at")
        if at is not None and strengths and at not in strengths:
            raise TrainoutError(
                f"verdict.at={at} is not an attack strength of {run.path} (attack.strengths={strengths})"
            )
        if at is not None and own is not None and own != at:
            raise TrainoutError(
                f"verdict.at={at}, but {run.path} declared verdict.at={own} before it ran; a verdict reads the "
                "strength declared beforehand (leave verdict.at unset to read each run's own)"
            )
        k = at if at is not None else own
        if k is None and run.path in unfinished and strengths:
            k = max(strengths)
        if out.get(run.suffix) is None:  # seeds of one configuration: one not finished sets its k*
            out[run.suffix] = k
    return out


def _training_seeds(flat: dict) -> set | None:
    """The seeds recorded by the training runs that made a run's evaluated checkpoints (each checkpoint's
    stage folder holds the manifest: `<stage>/final`, `<stage>/checkpoints/checkpoint-N`); None when one of
    them records none, or names no folder (a Hub id, a model trained elsewhere)."""
    seeds = set()
    for checkpoint in json.loads(flat.get("checkpoints") or "[]"):
        if checkpoint == "base":
            continue
        run = _training_run(checkpoint, "manifest.json")
        recorded = RunDir(run, "train").manifest.get("seed") if run else None
        if recorded is None:
            return None
        seeds.add(recorded)
    return seeds


def _config(run: Path) -> dict:
    """A run's config.yaml ({} when it has none); one line naming the file when it is not a YAML mapping."""
    f = run / "config.yaml"
    if not f.exists():
        return {}
    try:
        config = yaml.safe_load(f.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise TrainoutError(f"{f}: not YAML ({str(e).splitlines()[0]}); fix it or remove the run") from None
    if not isinstance(config, dict):
        raise TrainoutError(f"{f}: not a mapping of config keys; fix it or remove the run")
    return config


def describe_runs(runs: list[Path]) -> tuple[list[Run], list[str]]:
    """Each run's tag and training seed, and the config keys that differ between runs (seed keys aside:
    seeds are replicates of a configuration, not a swept variable).

    Runs are replicates of one configuration when every other key agrees. `checkpoints` differs between
    the seeds of a pipeline sweep (each seed trains its own chain) and counts only where it may show other
    models: when some run's checkpoints were not trained with that run's own `seed` (an eval-only run
    pools with others only when its `seed` is its checkpoints' training seed). The same configuration and
    training seed twice, a run with no seed beside seeded ones, or runs whose checkpoints record no training
    seed (base, a model trained elsewhere) under several eval seeds, are refused: none is one more trained
    model."""
    configs = [_config(r) for r in runs]
    flats = [_flatten(c) for c in configs]
    diff_keys = [k for k in differing_config(configs) if k not in SEED_KEYS]
    seeds = []
    for run, flat in zip(runs, flats):
        seeds.append(flat.get("seed", RunDir(run, "eval").manifest.get("seed")))
    trained = [_training_seeds(f) for f in flats]
    own = all(t in ({s}, set()) for t, s in zip(trained, seeds))  # set(): base only
    # A run's training seed is the one its checkpoints record where they record one: eval runs of one
    # checkpoint under other eval seeds are one trained model, not several.
    seeds = [next(iter(t)) if t and len(t) == 1 else s for t, s in zip(trained, seeds)]
    models = [str(f.get("checkpoints")) for f in flats]
    groups = [tuple((k, str(f.get(k))) for k in diff_keys) + ((m,) if not own else ()) for f, m in zip(flats, models)]
    # Short labels: the swept values a run set (not bookkeeping keys; unset = the default), else its name.
    short = [
        ",".join(f"{k.split('.')[-1]}={flat[k]}" for k in diff_keys if _labels(k) and flat.get(k) is not None)
        or flat.get("name")
        or run.name
        for run, flat in zip(runs, flats)
    ]
    tags = {}
    for group, tag, run in zip(groups, short, runs):
        if group not in tags:  # another configuration with the same short label: its folder tells them apart
            tags[group] = tag if tag not in tags.values() else f"{tag} ({'/'.join(run.parts[-2:])})"
    # a run's config names its checkpoints (hand-written configs may not) and none records a training seed
    untrained = [f.get("checkpoints") is not None and not t for f, t in zip(flats, trained)]
    for group in set(groups):
        members = [(r, s) for r, s, g in zip(runs, seeds, groups) if g == group]
        if len(members) > 1 and any(u for u, g in zip(untrained, groups) if g == group):
            raise TrainoutError(
                f"runs {', '.join(str(r) for r, _ in members)} differ only in `seed`, but their checkpoints record "
                "no training seed (base, or a model trained elsewhere): they are the same models under other shot "
                "draws, not several trained models. Compare one of them (more draws: attack.seeds=N)"
            )
        seen = [s for _, s in members]
        twice = sorted({str(s) for s in seen if seen.count(s) > 1})
        if twice:
            names = ", ".join(str(r) for r, s in members if str(s) in twice)
            raise TrainoutError(
                f"runs {names}: the same configuration and training seed ({', '.join(twice)}) twice; "
                "compare one of them"
            )
        if None in seen and len(seen) > 1:
            raise TrainoutError(
                f"runs {', '.join(str(r) for r, _ in members)}: one records no seed, the others do; "
                "they cannot be told apart as trained models (give each run's config.yaml its `seed`)"
            )
    plain = len(set(groups)) == 1
    return [Run(r, f, tags[g], s, plain) for r, f, g, s in zip(runs, flats, groups, seeds)], diff_keys


def load_runs(
    runs: list[Path], rows_file: str = "elicitation.jsonl", described: tuple[list[Run], list[str]] | None = None
) -> tuple[list[dict], dict[str, dict], list[str]]:
    """All rows, labelled by checkpoint and run tag (runs that differ only in seed share labels, and each row
    carries its run's `train_seed`); per-label info; differing config keys.
    `rows_file` = f"{IN_DISTRIBUTION}/elicitation.jsonl" reads the in-distribution rows under the same labels.
    `described`: `describe_runs(runs)`, when the caller has it already."""
    described, diff_keys = described or describe_runs(runs)
    all_rows, info, caps, paths = [], {}, {}, {}
    for run in described:
        found = read_rows(run.path / rows_file, required=ROW_KEYS)
        if not found and rows_file == "elicitation.jsonl":  # the optional in-distribution rows may be absent
            why = (
                "every prompt was longer than the model's context (its skipped.json lists them)"
                if (run.path / "skipped.json").exists()
                else "a run stopped before its first one? finish it by rerunning its command"
            )
            raise TrainoutError(f"{run.path / rows_file} has no rows ({why}); or leave it out of runs=")
        for r in found:
            label = run.label(r["checkpoint"])
            if label not in info:
                info[label] = {
                    "run": str(run.path),
                    "checkpoint_path": r.get("checkpoint_path", ""),
                    **{k: run.config.get(k) for k in diff_keys},
                }
                caps[label] = {}
            if run.train_seed not in caps[label]:
                caps[label][run.train_seed] = _capability(r.get("checkpoint_path", "base"))
                paths.setdefault(label, []).append(str(run.path))
            all_rows.append({**r, "checkpoint": label, TRAIN_SEED: run.train_seed, RUN_TAG: run.tag})
    for label, per_seed in caps.items():
        info[label]["run"] = ";".join(paths[label])  # one run per training seed
        info[label]["train_seeds"] = ",".join(map(str, sorted(per_seed, key=str)))
        for key in sorted({k for c in per_seed.values() for k in c}):  # capability: the mean over seeds
            values = [c[key] for c in per_seed.values() if key in c]
            info[label][key] = sum(values) / len(values)
    return all_rows, info, diff_keys


def load_judge_rows(described: list[Run]) -> list[dict]:
    """Every run's sampled, judged replies (judge.jsonl), under the labels `load_runs` gives its rows."""
    out = []
    for run in described:
        for r in read_rows(run.path / JUDGE_FILE, required=JUDGE_ROW_KEYS):
            out.append({**r, "checkpoint": run.label(r["checkpoint"])})
    return out


def by_seed(rows: list[dict]) -> list[dict]:
    """Rows relabelled '<label> (seed s)' where a label holds several training seeds: for the checks that match
    rows by scenario id (measurement, twins), which must not mix the rows of different trained models."""
    seeds: dict[str, set] = {}
    for r in rows:
        seeds.setdefault(r["checkpoint"], set()).add(r.get(TRAIN_SEED))
    return [
        r if len(seeds[r["checkpoint"]]) == 1 else {**r, "checkpoint": f"{r['checkpoint']} (seed {r.get(TRAIN_SEED)})"}
        for r in rows
    ]


# --- Tuning reads the val split, never eval -----------------------------------------------------------


def check_tuning_split(split: str) -> None:
    """Sweep objectives and run selection read a split of their own; eval is held out for the verdicts."""
    if str(split) == EVAL_SPLIT:
        raise TrainoutError(
            "pipeline.tuning_split=eval: sweep objectives and run selection never read the eval split (it is held "
            "out for the verdicts, and a choice made on it would be tuned on the test set); use val"
        )


@dataclass
class Objective:
    """What a sweep minimises, read from the tuning split: p at the largest strength scored there for the last
    evaluated checkpoint (all behaviors, attack arm), plus `penalty` x the benign-reply NLL per token that
    alignment cost (when it rose)."""

    value: float
    p_max: float
    strength: int
    capability_lost: float
    penalty: float
    split: str
    checkpoint: str
    n_templates: int
    n_scenarios: int


def tuning_objective(run: Path, split: str = "val", penalty: float = 1.0) -> Objective:
    """The objective of one eval run from its `<split>/elicitation.jsonl` (never its eval rows or summary)."""
    check_tuning_split(split)
    path = run / str(split) / "elicitation.jsonl"
    rows = [r for r in read_rows(path) if arm_of(r) == ATTACK_ARM and not r.get("twin")]
    if not rows:
        raise TrainoutError(
            f"no {split} rows in {path}: a sweep job (python -m src.pipeline -m ...) scores its last checkpoint "
            f"on the {split} split; rerun it with the same command to add them"
        )
    label = rows[-1]["checkpoint"]
    rows = [r for r in rows if r["checkpoint"] == label]
    k = max(r["strength"] for r in rows)
    at_k = [r for r in rows if r["strength"] == k]
    p = float(point(build_curve(at_k))["p"][0])
    nll = _capability(rows[0].get("checkpoint_path", "base")).get("capability.delta.nll_per_token") or 0.0
    lost = max(0.0, float(nll))
    return Objective(
        p + penalty * lost,
        p,
        k,
        lost,
        penalty,
        str(split),
        label,
        len({r["template"] for r in at_k}),
        len({r["scenario_id"] for r in at_k}),
    )


def selection(runs: list[Path], described: list[Run] | None = None) -> list[dict]:
    """Which configuration a sweep would pick: per run tag, the tuning objective (`tuning_objective`, the value
    the sweep's jobs returned) averaged over its training seeds; the lowest is `chosen`. Runs without tuning
    rows (not scored by a sweep job) are left out, and a configuration that has them for only some of its
    seeds says how many it lacks; none at all gives []. Equal objectives go to the first tag in sort order."""
    groups: dict[str, list[Objective]] = {}
    seeds: dict[str, int] = {}
    for run in described or describe_runs(runs)[0]:
        split = str(run.config.get("pipeline.tuning_split") or "val")
        check_tuning_split(split)
        seeds[run.tag] = seeds.get(run.tag, 0) + 1
        if (run.path / split / "elicitation.jsonl").exists():
            penalty = float(run.config.get("pipeline.capability_penalty", 1.0))
            groups.setdefault(run.tag, []).append(tuning_objective(run.path, split, penalty))
    table = [
        {
            "run": tag,
            "split": objectives[0].split,
            "train_seeds": len(objectives),
            "train_seeds_without_tuning_rows": seeds[tag] - len(objectives),
            "strength": objectives[0].strength,
            "p@max": sum(o.p_max for o in objectives) / len(objectives),
            "capability_lost": sum(o.capability_lost for o in objectives) / len(objectives),
            "objective": sum(o.value for o in objectives) / len(objectives),
            "n_templates": objectives[0].n_templates,
            "chosen": False,
        }
        for tag, objectives in groups.items()
    ]
    if table:
        min(table, key=lambda t: (t["objective"], t["run"]))["chosen"] = True
    return table


def _step(label: str) -> int | None:
    m = re.search(r"@(\d+)", label)
    return int(m.group(1)) if m else None


def comparison_table(summaries: list[dict], info: dict[str, dict], judged: Judgement | None = None) -> list[dict]:
    verdicts = {(v.checkpoint, v.behavior): v for v in (judged.verdicts if judged else [])}
    table = []
    for s in summaries:
        if arm_of(s) != ATTACK_ARM:
            continue
        f = s["fit"]
        v = verdicts.get((s["checkpoint"], s["behavior"]))
        table.append(
            {
                "checkpoint": s["checkpoint"],
                "behavior": s["behavior"],
                "attack": s["attack"],
                "p@0": s["p@0"],
                "p@0_lo": s["p@0_ci"][0],
                "p@0_hi": s["p@0_ci"][1],
                "p@max": s["p@max"],
                "p@max_lo": s["p@max_ci"][0],
                "p@max_hi": s["p@max_ci"][1],
                "max_strength": s["strengths"][-1],
                "k50": s["k50"],
                "k50_lo": (s["k50_ci"] or [None, None])[0],
                "k50_hi": (s["k50_ci"] or [None, None])[1],
                "alpha": f["alpha"],
                "alpha_lo": f["alpha_ci"][0],
                "alpha_hi": f["alpha_ci"][1],
                "C": f["C"],
                "K": f["K"],
                "fit_r2": f["r2"],
                "verdict": v.verdict if v else "reference",  # base and implant: reference lines
                "k_star": v.k_star if v else None,
                "E": v.E["value"] if v else None,
                "E_lo": v.E["ci"][0] if v else None,
                "E_hi": v.E["ci"][1] if v else None,
                "E_arm": v.E_arm if v else None,  # the reference arm E contrasts with: neutral, else control
                **_reference_columns(v),
                "R": v.R["value"] if v else None,
                "R_lo": v.R["ci"][0] if v else None,
                "R_hi": v.R["ci"][1] if v else None,
                "verdict_reason": v.reason if v else "",
                **info.get(s["checkpoint"], {}),
            }
        )
    return table


def _reference_columns(v) -> dict:
    """E against each reference arm (E_vs_neutral, E_vs_control) with its CI; empty where that arm was not scored."""
    out = {}
    for arm in REFERENCE_ARMS:
        e = v.E_by_arm.get(arm) if v else None
        out[f"E_vs_{arm}"] = e["value"] if e else None
        out[f"E_vs_{arm}_lo"] = e["ci"][0] if e else None
        out[f"E_vs_{arm}_hi"] = e["ci"][1] if e else None
    return out


def skipped_prompts(info: dict[str, dict]) -> list[dict]:
    """The entries of every compared run's skipped.json: prompts longer than the model's context, never scored."""
    runs = dict.fromkeys(p for i in info.values() for p in str(i.get("run") or "").split(";") if p)
    out = []
    for run in runs:
        f = Path(run) / "skipped.json"
        if f.exists():
            out += read_json(f)
    return out


def context_fit(rows: list[dict], skipped: list[dict]) -> dict:
    """The largest strength whose prompts all fit the model's context (none of its prompts skipped), the limit
    they were checked against, and the skipped prompts per strength, for one attack's rows."""
    attacks = {r["attack"] for r in rows}
    mine = [s for s in skipped if s["key"][1] in attacks]  # key: checkpoint, attack, arm, strength, seed, scenario
    by_k = Counter(s["key"][3] for s in mine)
    strengths = sorted({r["strength"] for r in rows} | set(by_k))
    limits = {r["context_limit"] for r in rows if r.get("context_limit")} | {s["limit"] for s in mine}
    return {
        "limit": min(limits) if limits else None,
        "largest_fitting": max((k for k in strengths if not by_k[k]), default=None),
        "skipped": len(mine),
        "skipped_by_strength": dict(sorted(by_k.items())),
    }


def write_csv(path: Path, table: list[dict]) -> None:
    cols = list(dict.fromkeys(k for row in table for k in row))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols)
    w.writeheader()
    w.writerows(table)
    atomic_write_text(path, buf.getvalue())


def differences(rows: list[dict], labels: list[str], n_boot: int, seed: int) -> list[dict]:
    """Each checkpoint against the one before it in its own run (base -> implant -> align, or align@N along
    the alignment steps), k=0 and the largest strength; in a comparison, never across two configurations."""
    out = []
    by, run_of = {}, {}
    for r in rows:
        run_of.setdefault(r["checkpoint"], r.get(RUN_TAG))
        if arm_of(r) == ATTACK_ARM and not r.get("twin"):
            by.setdefault(r["checkpoint"], []).append(r)
    chains: dict = {}
    for label in labels:
        chains.setdefault(run_of.get(label), []).append(label)
    for a, b in (pair for chain in chains.values() for pair in zip(chain, chain[1:])):
        ks = sorted({r["strength"] for r in by[a]} & {r["strength"] for r in by[b]})
        for k in [ks[0], ks[-1]] if len(ks) > 1 else ks:
            d = paired_difference(by[a], by[b], k, "p", n_boot, seed)
            out.append({"from": a, "to": b, "strength": k, **d})
    return out


def plot_fit_vs_variable(table: list[dict], path: Path, variable: str | None) -> Path | None:
    """alpha and the intercept C against the alignment step or the swept value (behavior = all)."""
    import matplotlib.pyplot as plt

    rows = [r for r in table if r["behavior"] == "all" and r["alpha"] is not None]
    xs = [(_step(r["checkpoint"]) if variable is None else r.get(variable), r) for r in rows]
    xs = [(x, r) for x, r in xs if isinstance(x, (int, float))]
    if len(xs) < 2:
        return None
    xs.sort(key=lambda t: t[0])
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.4))
    a1.errorbar(
        [x for x, _ in xs],
        [r["alpha"] for _, r in xs],
        fmt="o-",
        yerr=[
            [r["alpha"] - (r["alpha"] if r["alpha_lo"] is None else min(r["alpha_lo"], r["alpha"])) for _, r in xs],
            [(r["alpha"] if r["alpha_hi"] is None else max(r["alpha_hi"], r["alpha"])) - r["alpha"] for _, r in xs],
        ],
    )
    a1.set_ylabel("α (NLL exponent)")
    a2.plot([x for x, _ in xs], [r["C"] for _, r in xs], "o-")
    a2.set_ylabel("C (NLL at k = 1)")
    for ax in (a1, a2):
        ax.set_xlabel(variable or "alignment step")
    fig.tight_layout()
    atomic_save_figure(fig, path)
    plt.close(fig)
    return path


def report_for(
    rows: list[dict],
    info: dict[str, dict],
    diff_keys: list[str],
    out: Path,
    n_boot: int,
    seed: int,
    at: int | dict[str, int | None] | None = None,
    recovery: float = 0.5,
    header: str = "",
    suffix: str = "",
    in_distribution: list[dict] = (),
    chosen: list[dict] = (),
    sampled: str = "",
    compared: bool = False,
) -> tuple[list[dict], list[dict], Judgement]:
    """Summaries, the measurement checks, verdicts, comparison table, differences, plots and report.md for one
    attack's rows (`in_distribution`: the same checkpoints scored on the implant split at k=0, if any;
    `chosen`: the sweep choice read from the runs' tuning split, see `selection`; `sampled`: the judge's
    markdown section, src.eval.judge.judge_table)."""
    summaries = summarize(rows, n_boot, seed)
    measured = measurement(by_seed(rows), n_boot, seed)
    atomic_write_text(out / f"measurement{suffix}.json", json.dumps(measured, indent=1) + "\n")
    judged = judge(rows, at, recovery, n_boot, seed, in_distribution)
    for v in judged.verdicts:  # the evidence gate holds for verdicts.json, the table, W&B
        withheld = evidence_withholds(measured, v.checkpoint)  # its own configuration's base
        if withheld:
            v.verdict, v.reason = NO_VERDICT, f"{withheld}; and {v.reason}" if v.reason else withheld
    atomic_write_text(out / f"verdicts{suffix}.json", json.dumps(asdict(judged), indent=1) + "\n")
    pairs = evidence_pairs(by_seed(rows))
    if pairs:
        write_csv(out / f"evidence_pairs{suffix}.csv", pairs)
    table = comparison_table(summaries, info, judged)
    labels = list(dict.fromkeys(r["checkpoint"] for r in rows))
    diffs = differences(rows, labels, n_boot, seed)
    plots = {
        "p vs strength": plot_curves(summaries, out / f"elicitation_curves{suffix}.png"),
        "NLL vs k": plot_nll(summaries, out / f"nll_loglog{suffix}.png"),
    }
    var = next((k for k in diff_keys if all(isinstance(i.get(k), (int, float)) for i in info.values())), None)
    fit_plot = plot_fit_vs_variable(table, out / f"fit_vs_{(var or 'step').replace('.', '_')}{suffix}.png", var)
    if fit_plot:
        plots["fit vs " + (var or "step")] = fit_plot
    in_table = in_distribution_table(rows, list(in_distribution), n_boot, seed) if in_distribution else []
    write_report(
        out / f"report{suffix}.md",
        summaries,
        table,
        diffs,
        diff_keys,
        plots,
        header,
        measured,
        judged,
        in_table,
        n_boot,
        list(chosen),
        context_fit(rows, skipped_prompts(info)),
        sampled,
        compared,
    )
    return summaries, table, judged


def compare(
    runs: list[Path],
    out: Path,
    at: int | None = None,
    recovery: float = 0.5,
    n_boot: int = 1000,
    seed: int = 0,
) -> list[dict]:
    described = describe_runs(runs)  # each run's config and manifest, read once for everything below
    rows, info, diff_keys = load_runs(runs, described=described)
    in_rows, _, _ = load_runs(runs, f"{IN_DISTRIBUTION}/elicitation.jsonl", described)
    attacks = sorted({r["attack"] for r in rows})
    out.mkdir(parents=True, exist_ok=True)
    chosen = selection(runs, described[0])
    if chosen:
        atomic_write_text(out / "selection.json", json.dumps(chosen, indent=1) + "\n")
    # a glob over a sweep picks up runs that failed or still run: their rows so far are read, and the report
    # names those runs at its top
    status = {r: RunDir(r, "eval").manifest.get("status") for r in runs}
    stopped = {r: s for r, s in status.items() if s in ("running", "failed", "interrupted")}
    unfinished = [f"{r} ({s})" for r, s in stopped.items()]
    header = f"**Not finished** (their rows so far are included): {', '.join(unfinished)}." if unfinished else ""
    for line in unfinished:
        log.warning("compare: run not finished, its rows so far are included: %s", line)
    k_star = declared_k_star(described[0], at, set(stopped))
    judged_rows = load_judge_rows(described[0])  # seeds of one label pool, as in the CIs
    all_tables = []
    for attack in attacks:
        labels = {r["checkpoint"] for r in rows if r["attack"] == attack}
        sampled = judge_section([r for r in judged_rows if r["checkpoint"] in labels], rows, n_boot, seed)
        suffix = "" if len(attacks) == 1 else f"_{attack}"
        summaries, table, _ = report_for(
            [r for r in rows if r["attack"] == attack],
            info,
            diff_keys,
            out,
            n_boot,
            seed,
            k_star,
            recovery,
            suffix=suffix,
            in_distribution=in_rows,
            chosen=chosen,
            sampled=sampled,
            compared=True,
            header=header,
        )
        atomic_write_text(out / f"summary{suffix}.json", json.dumps(summaries, indent=1) + "\n")
        all_tables += table
    write_csv(out / "comparison.csv", all_tables)
    return all_tables


def row_files(runs: list[Path]) -> dict[str, Path]:
    """Every file compare reads rows from (eval, in-distribution, tuning), keyed by where it lies."""
    files = [f for r in runs for f in (r / "elicitation.jsonl", *sorted(r.glob("*/elicitation.jsonl")))]
    return {str(f): f for f in files if f.exists()}


def refuse_other_runs(rd: RunDir, inputs: dict[str, Path]) -> None:
    """A compare folder is a function of the command, and `runs=[sweep/*]` matches more runs as a sweep
    grows: rerun there, the comparison of other runs would be overwritten. The same files resume (and a
    changed one is refused by `RunDir.running(same_inputs=True)`); other files go to a new folder."""
    before = set(rd.manifest.get("inputs", {}))
    if before and before != set(inputs):
        added, gone = len(set(inputs) - before), len(before - set(inputs))
        raise TrainoutError(
            f"{rd.path} holds a comparison of other runs ({added} row files more now, {gone} fewer): compare "
            "into a new folder (hydra.run.dir=... or name=...) or remove it"
        )


@hydra.main(config_path=CONF_DIR, config_name="compare", version_base="1.3")
@one_line_errors
def main(cfg: DictConfig) -> None:
    check_bootstrap(cfg.bootstrap)
    out = Path(run_dir())
    runs = find_runs([str(r) for r in cfg.runs])
    rd = RunDir(out, "compare")
    inputs = row_files(runs)
    refuse_other_runs(rd, inputs)
    with rd.running(to_yaml(cfg), cfg.seed, inputs=inputs, same_inputs=True) as outcome:
        with tracked_run(cfg, out, job_type="compare", config=to_dict(cfg)) as wb:
            table = compare(runs, out, cfg.verdict.at, cfg.verdict.recovery, cfg.bootstrap, cfg.seed)
            if wb is not None:
                import wandb

                cols = list(dict.fromkeys(k for row in table for k in row))
                wb.log({"comparison": wandb.Table(columns=cols, data=[[str(r.get(c)) for c in cols] for r in table])})
                wb.log({p.stem: wandb.Image(str(p)) for p in sorted(out.glob("*.png"))})
        outcome.outputs = {"comparison": out / "comparison.csv"}
    reports = ", ".join(p.name for p in sorted(out.glob("report*.md")))
    print(f"compare: {len(runs)} eval run(s) -> {out}: {reports}, comparison.csv")


if __name__ == "__main__":
    main()
