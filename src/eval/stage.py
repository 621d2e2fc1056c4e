"""The eval stage: for each checkpoint, attack variant, strength and scenario, score the behavior; then
summarize, plot and report.

Writes `elicitation.jsonl` (one row per checkpoint x attack variant x strength x seed x scenario,
appended and resumable), `summary.json` (curves with CIs, fits, verdicts), `measurement.json` (Δ and
evidence sensitivity per checkpoint), `evidence_pairs.csv` (each template row beside its twin), plots
and `report.md`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from src import TrainoutError
from src.config import run_dir, to_dict, to_yaml
from src.data import load_split, split_file
from src.data.audit import audit_splits, raise_on_hard
from src.data.stage import run as run_data
from src.eval.compare import load_runs, report_for
from src.eval.elicit import elicit
from src.io import atomic_write_text, file_hash
from src.models import ModelConfig, load_tokenizer
from src.rundir import RunDir, is_main_process
from src.scenarios import load_scenarios
from src.tracking import tracked_run

log = logging.getLogger(__name__)


def _needs_generated(cfg: DictConfig) -> bool:
    path = cfg.data.path
    needs_shots = cfg.attack.name != "none" and not cfg.attack.shots_path
    return not path or (needs_shots and not Path(path).is_dir())


def run(
    cfg: DictConfig, out: Path, generated_data: Path | None = None, report_dir: Path | None = None, header: str = ""
) -> list[dict]:
    """The eval stage: rows, then summaries, plots and a report. Rerunning resumes from the rows written."""
    rd = RunDir(out, "eval")
    report_dir = report_dir or out
    if generated_data is None and _needs_generated(cfg):
        run_data(cfg, out / "data")
        generated_data = out / "data"
    scenarios = load_split(cfg.data, "eval", generated_data)
    if cfg.attack.name == "none":
        shots = []
    elif cfg.attack.shots_path:
        shots = load_scenarios(cfg.attack.shots_path)
    else:
        shots = load_split(OmegaConf.merge(cfg.data, {"path": None}), "shots", generated_data)  # the generated split
    shots = _without_eval_templates([s for s in shots if not s.meta.get("twin")], scenarios)  # twins: not shown
    if cfg.data.path:
        _audit_external(cfg, out, scenarios, shots)
    checkpoints = [str(c) for c in cfg.checkpoints]
    with rd.running(
        to_yaml(cfg),
        cfg.seed,
        inputs={"eval_data": split_file(cfg.data, "eval", generated_data)},
        checkpoints={c: (file_hash(c) if c != "base" else "base") for c in checkpoints},
    ) as outcome:
        with tracked_run(cfg, out, job_type="eval", config=to_dict(cfg)) as wb:
            rows_path = elicit(cfg, out, checkpoints, scenarios, shots)
            rows, info, _ = load_runs([out])
            rows = [r for r in rows if r["attack"] == cfg.attack.name]
            summaries, _ = report_for(
                rows, info, [], report_dir, cfg.verdict.threshold, cfg.bootstrap, cfg.seed, header=header
            )
            rd.write_json("summary.json", summaries)
            if wb is not None:
                _log_wandb(wb, rows, summaries, sorted(report_dir.glob("*.png")))
        outcome.outputs = {"rows": rows_path, "summary": out / "summary.json", "report": report_dir / "report.md"}
    return summaries


def _without_eval_templates(shots: list, scenarios: list) -> list:
    """Demonstrations never come from an evaluation template (that would show the model the answer)."""
    eval_templates = {s.template for s in scenarios}
    kept = [s for s in shots if s.template not in eval_templates]
    if len(kept) < len(shots):
        log.warning("dropped %d demonstrations whose template is also evaluated", len(shots) - len(kept))
    if shots and not kept:
        raise TrainoutError(
            "every demonstration shares a template with the evaluation data; pass attack.shots_path=<other file>"
        )
    return kept


def _audit_external(cfg: DictConfig, out: Path, scenarios: list, shots: list) -> None:
    """The data audits run on every dataset the pipeline uses: the user's too (MWE label polarity included)."""
    results = audit_splits(
        {"eval": scenarios, "shots": shots}, load_tokenizer(ModelConfig.from_cfg(cfg.model)), generated=False
    )
    atomic_write_text(out / "data_audit.json", json.dumps([asdict(r) for r in results], indent=1, default=str))
    for r in results:
        if not r.passed and not r.hard:
            log.warning("data audit flag: %s: %s", r.name, r.detail)
    raise_on_hard(results)


def _log_wandb(wb, rows: list[dict], summaries: list[dict], plots: list[Path]) -> None:
    """Rows and summaries as tables, curves as line series, headline metrics in the run summary."""
    import wandb

    cols = sorted(rows[0])
    wb.log({"elicitation_rows": wandb.Table(columns=cols, data=[[r[c] for c in cols] for r in rows])})
    scols = ["checkpoint", "behavior", "attack", "control", "p@0", "p@max", "k50", "verdict", "crossed_at"]
    wb.log(
        {
            "summary_table": wandb.Table(
                columns=scols + ["alpha"], data=[[s[c] for c in scols] + [s["fit"]["alpha"]] for s in summaries]
            )
        }
    )
    main = [s for s in summaries if s["behavior"] == "all" and not s["control"]]
    if main:
        wb.log(
            {
                "elicitation_curve": wandb.plot.line_series(
                    xs=main[0]["strengths"],
                    ys=[[e["p"] for e in s["per_strength"]] for s in main],
                    keys=[s["checkpoint"] for s in main],
                    title="p(behavior) vs strength",
                    xname="strength",
                )
            }
        )
    for s in summaries:
        if not s["control"]:
            prefix = f"{s['checkpoint']}/{s['behavior']}"
            wb.summary.update(
                {
                    f"{prefix}/p@0": s["p@0"],
                    f"{prefix}/p@max": s["p@max"],
                    f"{prefix}/k50": s["k50"],
                    f"{prefix}/alpha": s["fit"]["alpha"],
                }
            )
    wb.log({p.stem: wandb.Image(str(p)) for p in plots})


def cli(cfg: DictConfig) -> None:
    if is_main_process():
        run(cfg, Path(run_dir()))
        print(f"eval: report in {Path(run_dir()) / 'report.md'}")
