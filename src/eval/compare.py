"""`python -m src.eval.compare runs=[<dirs or globs>]`: put checkpoints from any eval runs side by side.

Reads every eval run under the given paths (a multirun folder, a trajectory of checkpoints, runs from
different days), and writes `comparison.csv` (one row per checkpoint x behavior x attack), overlay
plots and `report.md` that opens with the answer, then the evidence. Differences between checkpoints
come with paired bootstrap CIs.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import re
from pathlib import Path
from typing import Any

import hydra
import yaml
from omegaconf import DictConfig

from src import TrainoutError
from src.config import CONF_DIR, one_line_errors, run_dir, to_dict, to_yaml
from src.eval.report import plot_curves, plot_nll, write_report
from src.eval.summary import paired_difference, summarize
from src.io import atomic_write_text, read_rows
from src.lm.measure import evidence_pairs, measurement
from src.models import CHECKPOINT_INFO
from src.rundir import RunDir
from src.tracking import tracked_run

IGNORED_KEYS = re.compile(r"^(hydra|checkpoints|tracker|tags)(\.|$)")
LABEL_SKIP = {
    "name",
    "pipeline.evaluate",
    "pipeline.stage_cache",
}  # differ between runs, but say nothing about the model


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
                if rows.parent not in found:
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


def _capability(checkpoint_path: str) -> dict:
    """Capability retention recorded by the training run that made a checkpoint, if any."""
    if checkpoint_path == "base":
        return {}
    for folder in (Path(checkpoint_path), *Path(checkpoint_path).parents[:2]):
        if (folder / CHECKPOINT_INFO).exists() and (folder / "metrics.json").exists():
            cap = json.loads((folder / "metrics.json").read_text()).get("capability") or {}
            return {
                f"capability.{k}": v
                for k, v in _flatten(cap).items()
                if k.split(".")[0] in ("trained", "delta") and isinstance(v, (int, float))
            }
    return {}


def load_runs(runs: list[Path]) -> tuple[list[dict], dict[str, dict], list[str]]:
    """All rows, with checkpoint labels made unique across runs; per-label info; differing config keys."""
    configs = [yaml.safe_load((r / "config.yaml").read_text()) if (r / "config.yaml").exists() else {} for r in runs]
    diff_keys = differing_config(configs)
    flats = [_flatten(c) for c in configs]
    # Short labels: the swept values a run set (not bookkeeping keys; unset = the default), else its name.
    tags = [
        ",".join(f"{k.split('.')[-1]}={flat[k]}" for k in diff_keys if k not in LABEL_SKIP and flat.get(k) is not None)
        or flat.get("name")
        or run.name
        for run, flat in zip(runs, flats)
    ]
    tags = [t if tags.count(t) == 1 else f"{t} #{i}" for i, t in enumerate(tags)]
    all_rows, info = [], {}
    for run, flat, tag in zip(runs, flats, tags):
        for r in read_rows(run / "elicitation.jsonl"):
            label = r["checkpoint"] if len(runs) == 1 else f"{r['checkpoint']} [{tag}]"
            if label not in info:
                info[label] = {
                    "run": str(run),
                    "checkpoint_path": r.get("checkpoint_path", ""),
                    **{k: flat.get(k) for k in diff_keys},
                    **_capability(r.get("checkpoint_path", "base")),
                }
            all_rows.append({**r, "checkpoint": label})
    return all_rows, info, diff_keys


def _step(label: str) -> int | None:
    m = re.search(r"@(\d+)", label)
    return int(m.group(1)) if m else None


def comparison_table(summaries: list[dict], info: dict[str, dict]) -> list[dict]:
    table = []
    for s in summaries:
        if s["control"]:
            continue
        f = s["fit"]
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
                "verdict": s["verdict"],
                "crossed_at": s["crossed_at"],
                "first_strength_over": s["first_strength_over"],
                "crossed_fraction": s["crossed_fraction"],
                **info.get(s["checkpoint"], {}),
            }
        )
    return table


def write_csv(path: Path, table: list[dict]) -> None:
    cols = list(dict.fromkeys(k for row in table for k in row))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols)
    w.writeheader()
    w.writerows(table)
    atomic_write_text(path, buf.getvalue())


def differences(rows: list[dict], labels: list[str], n_boot: int, seed: int) -> list[dict]:
    """Each checkpoint against the one before it (base -> implant -> align, or along a sweep), k=0 and max."""
    out = []
    by = {}
    for r in rows:
        if not r["control"] and not r.get("twin"):
            by.setdefault(r["checkpoint"], []).append(r)
    for a, b in zip(labels, labels[1:]):
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
            [max(r["alpha"] - (r["alpha_lo"] or r["alpha"]), 0) for _, r in xs],
            [max((r["alpha_hi"] or r["alpha"]) - r["alpha"], 0) for _, r in xs],
        ],
    )
    a1.set_ylabel("α (NLL exponent)")
    a2.plot([x for x, _ in xs], [r["C"] for _, r in xs], "o-")
    a2.set_ylabel("C (NLL at k = 1)")
    for ax in (a1, a2):
        ax.set_xlabel(variable or "alignment step")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def report_for(
    rows: list[dict],
    info: dict[str, dict],
    diff_keys: list[str],
    out: Path,
    threshold: float,
    n_boot: int,
    seed: int,
    header: str = "",
    suffix: str = "",
) -> tuple[list[dict], list[dict]]:
    """Summaries, the measurement checks, comparison table, differences, plots and report.md for one
    attack's rows."""
    summaries = summarize(rows, threshold, n_boot, seed)
    measured = measurement(rows, n_boot, seed)
    atomic_write_text(out / f"measurement{suffix}.json", json.dumps(measured, indent=1) + "\n")
    pairs = evidence_pairs(rows)
    if pairs:
        write_csv(out / f"evidence_pairs{suffix}.csv", pairs)
    table = comparison_table(summaries, info)
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
    write_report(out / f"report{suffix}.md", summaries, table, diffs, diff_keys, plots, header, measured)
    return summaries, table


def compare(runs: list[Path], out: Path, threshold: float = 0.5, n_boot: int = 1000, seed: int = 0) -> list[dict]:
    rows, info, diff_keys = load_runs(runs)
    attacks = sorted({r["attack"] for r in rows})
    out.mkdir(parents=True, exist_ok=True)
    all_tables = []
    for attack in attacks:
        suffix = "" if len(attacks) == 1 else f"_{attack}"
        summaries, table = report_for(
            [r for r in rows if r["attack"] == attack], info, diff_keys, out, threshold, n_boot, seed, suffix=suffix
        )
        atomic_write_text(out / f"summary{suffix}.json", json.dumps(summaries, indent=1) + "\n")
        all_tables += table
    write_csv(out / "comparison.csv", all_tables)
    return all_tables


@hydra.main(config_path=CONF_DIR, config_name="compare", version_base="1.3")
@one_line_errors
def main(cfg: DictConfig) -> None:
    out = Path(run_dir())
    runs = find_runs([str(r) for r in cfg.runs])
    rd = RunDir(out, "compare")
    inputs = {f"run{i}": r / "elicitation.jsonl" for i, r in enumerate(runs)}
    with rd.running(to_yaml(cfg), cfg.seed, inputs=inputs) as outcome:
        with tracked_run(cfg, out, job_type="compare", config=to_dict(cfg)) as wb:
            table = compare(runs, out, cfg.verdict.threshold, cfg.bootstrap, cfg.seed)
            if wb is not None:
                import wandb

                cols = list(dict.fromkeys(k for row in table for k in row))
                wb.log({"comparison": wandb.Table(columns=cols, data=[[str(r.get(c)) for c in cols] for r in table])})
                wb.log({p.stem: wandb.Image(str(p)) for p in sorted(out.glob("*.png"))})
        outcome.outputs = {"comparison": out / "comparison.csv"}
    print(f"compare: {len(runs)} eval run(s) -> {out / 'report.md'} and comparison.csv")


if __name__ == "__main__":
    main()
