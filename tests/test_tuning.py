"""Tuning never sees eval: the sweep objective (what Optuna minimises, what every sweep job returns) and the
sweep choice in `src.eval.compare` read the val split. Run folders are built from synthetic rows, no training."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import compose, synthetic_row
from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from omegaconf import DictConfig, OmegaConf

from src import TrainoutError
from src.config import CONF_DIR
from src.eval.compare import compare, find_runs, selection
from src.models import CHECKPOINT_INFO
from src.pipeline import objective
from src.pipeline import run as run_pipeline


def scored(p_at: dict[int, float], split: str, checkpoint_path: str, templates: int = 4) -> list[dict]:
    """Rows of the align checkpoint (attack and control arms) with mean p = p_at[k], spread a little by template."""
    out = []
    for t in range(templates):
        for k, p in p_at.items():
            for control in (False, True):
                q = min(max(p + 0.02 * (t - 1.5), 0.01), 0.99) if not control else 0.3
                d = math.log(q / (1 - q))
                out.append(
                    synthetic_row(
                        "align",
                        f"{split}.s{t}.e0q0",
                        f"{split}.s{t}.e0q0-000",
                        k,
                        control,
                        0,
                        d,
                        f"b{t % 2}",
                        checkpoint_path=checkpoint_path,
                    )
                )
    return out


def finished_run(
    out: Path, eval_p: float, val_p: float, nll_lost: float = 0.05, beta: float = 0.1, seed: int = 0
) -> Path:
    """A finished sweep job's folder as the pipeline leaves it: align stage, eval rows and summary, val rows."""
    align = out / "align"
    (align / "final").mkdir(parents=True)
    (align / CHECKPOINT_INFO).write_text(json.dumps({"label": "align", "stage": "align"}))
    (align / "metrics.json").write_text(json.dumps({"capability": {"delta": {"nll_per_token": nll_lost}}}))
    final = str(align / "final")
    (out / "eval" / "val").mkdir(parents=True)
    rows = {"eval": scored({0: 0.3, 16: eval_p}, "eval", final), "eval/val": scored({0: 0.3, 16: val_p}, "val", final)}
    for where, data in rows.items():
        (out / where / "elicitation.jsonl").write_text("".join(json.dumps(r) + "\n" for r in data))
    summary = [{"checkpoint": "align", "behavior": "all", "attack": "many_shot", "control": False, "p@max": eval_p}]
    (out / "eval" / "summary.json").write_text(json.dumps(summary))
    config = {"name": "beta_sweep", "seed": seed, "pipeline": {"tuning_split": "val", "capability_penalty": 1.0}}
    config["pipeline"]["align"] = {"method": {"beta": beta}}
    (out / "eval" / "config.yaml").write_text(yaml.safe_dump(config))
    (out / "manifest.json").write_text(json.dumps({"stage": "pipeline", "status": "complete", "seed": seed}))
    return out


def test_the_objective_reads_val_not_eval(tmp_path):
    out = finished_run(tmp_path / "job", eval_p=0.9, val_p=0.2, nll_lost=0.05)
    assert objective(compose("pipeline"), out) == pytest.approx(0.2 + 1.0 * 0.05)
    assert objective(compose("pipeline", "pipeline.capability_penalty=2"), out) == pytest.approx(0.2 + 2 * 0.05)
    (out / "eval" / "val" / "elicitation.jsonl").unlink()  # no val rows: it refuses, and never falls back to eval
    with pytest.raises(TrainoutError, match="no val rows"):
        objective(compose("pipeline"), out)


def test_a_capability_gain_is_not_a_bonus(tmp_path):
    out = finished_run(tmp_path / "job", eval_p=0.9, val_p=0.2, nll_lost=-0.3)
    assert objective(compose("pipeline"), out) == pytest.approx(0.2)


def test_eval_is_never_a_tuning_split(tmp_path):
    cfg = compose("pipeline", "pipeline.tuning_split=eval")
    with pytest.raises(TrainoutError, match="never read the eval split"):
        run_pipeline(cfg, tmp_path / "run", tuning=True)
    assert not (tmp_path / "run").exists()  # refused before any work
    with pytest.raises(TrainoutError, match="never read the eval split"):
        objective(cfg, finished_run(tmp_path / "job", eval_p=0.9, val_p=0.2))


def test_a_tuning_split_that_is_the_eval_file_is_refused(tmp_path):
    from src.eval.stage import Tuning, score_tuning

    eval_file = Path(CONF_DIR).parent / "data" / "scenarios_eval.jsonl"  # one file: every split reads it
    cfg = compose("pipeline", f"data.path={eval_file}")
    with pytest.raises(TrainoutError, match="the val split is the eval data"):
        score_tuning(cfg, tmp_path, Tuning("val", "base"), None, [], [])


def test_the_sweep_choice_reads_val(tmp_path):
    # On eval, beta=0.05 looks best; on val, beta=0.5 is. The choice must be 0.5.
    finished_run(tmp_path / "sweep" / "0_beta=0.05", eval_p=0.1, val_p=0.6, beta=0.05)
    finished_run(tmp_path / "sweep" / "1_beta=0.5", eval_p=0.8, val_p=0.2, beta=0.5)
    runs = find_runs([str(tmp_path / "sweep")])
    assert [r.parent.name for r in runs] == ["0_beta=0.05", "1_beta=0.5"]  # their val/ folders are not eval runs
    chosen = selection(runs)
    assert [(c["run"], c["chosen"]) for c in chosen] == [("beta=0.05", False), ("beta=0.5", True)]
    assert {c["split"] for c in chosen} == {"val"}
    assert chosen[1]["objective"] == pytest.approx(0.2 + 0.05)
    compare(runs, tmp_path / "cmp", n_boot=50)
    assert json.loads((tmp_path / "cmp" / "selection.json").read_text()) == chosen
    report = (tmp_path / "cmp" / "report.md").read_text()
    assert "## Sweep choice (val split, never eval)" in report
    assert [line.split(" | ")[0] for line in report.splitlines() if line.endswith("| **chosen** |")] == ["| beta=0.5"]


def test_the_sweep_choice_breaks_ties_by_name_and_says_which_seeds_it_lacks(tmp_path):
    a = finished_run(tmp_path / "0_beta=0.05", eval_p=0.5, val_p=0.3, beta=0.05) / "eval"
    b = finished_run(tmp_path / "1_beta=0.5", eval_p=0.5, val_p=0.3, beta=0.5) / "eval"
    chosen = [c["run"] for run_order in ([a, b], [b, a]) for c in selection(run_order) if c["chosen"]]
    assert chosen == ["beta=0.05", "beta=0.05"]  # equal objectives: the same choice whichever run is listed first
    c = finished_run(tmp_path / "2_beta=0.5", eval_p=0.5, val_p=0.9, beta=0.5, seed=1) / "eval"
    (c / "val" / "elicitation.jsonl").unlink()  # seed 1 of beta=0.5 was not scored on val
    table = {t["run"]: t for t in selection([a, b, c])}
    assert (table["beta=0.5"]["train_seeds"], table["beta=0.5"]["train_seeds_without_tuning_rows"]) == (1, 1)
    assert table["beta=0.05"]["train_seeds_without_tuning_rows"] == 0


def _sweep_config(*overrides: str) -> DictConfig:
    with initialize_config_dir(CONF_DIR, version_base="1.3"):
        return hydra_compose("pipeline", overrides=list(overrides), return_hydra_config=True)


@pytest.mark.parametrize("sweep", [["hydra/sweeper=optuna_pmax", "tags=[optuna]"], ["experiment=beta_sweep"]])
def test_sweeps_route_through_the_objective(sweep):
    """Each sweep's jobs return `objective` (the pipeline's value in multirun), which reads pipeline.tuning_split:
    val. The sweeps vary only the align stage and name no split, so nothing else reaches eval."""
    cfg = _sweep_config(*sweep)
    sweeper = cfg.hydra.sweeper
    assert cfg.pipeline.tuning_split == "val"
    assert sweeper.params and all(str(k).startswith("++pipeline.align.") for k in sweeper.params)
    assert "eval" not in OmegaConf.to_yaml(sweeper) and "tuning_split" not in OmegaConf.to_yaml(sweeper)
    if "optuna" in sweep[0]:
        assert sweeper._target_.endswith("OptunaSweeper") and sweeper.direction == "minimize"
    else:
        assert cfg.hydra.mode.name == "MULTIRUN" and sweeper._target_.endswith("BasicSweeper")


@pytest.mark.slow  # a real Optuna sweep (10 s); the fast tests check the objective it minimises and its split
def test_optuna_minimises_the_val_objective(tmp_path):
    """A real Optuna sweep over a finished job folder (every trial resumes it): best_value is the val objective."""
    sweep = tmp_path / "sweep"
    finished_run(sweep / "job", eval_p=0.9, val_p=0.2, nll_lost=0.05)
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "src.pipeline",
            "-m",
            "hydra/sweeper=optuna_pmax",
            "hydra.sweeper.n_trials=2",
            "tags=[optuna]",
            "tracker=none",
            f"hydra.sweep.dir={sweep}",
            "hydra.sweep.subdir=job",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "HYDRA_FULL_ERROR": "1"},
    )
    assert p.returncode == 0, p.stderr[-3000:]
    results = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert results["best_value"] == pytest.approx(0.25)  # val p@16 0.2 + capability lost 0.05; eval says 0.9
    assert "objective 0.2500 (read from" in p.stdout and "/job/eval/val/elicitation.jsonl" in p.stdout
