"""The finetune attack family: n examples of deception, cross-fold or in-fold, against a benign control."""

from __future__ import annotations

import json

import pytest
from helpers import compose, rows_of  # tests/ is on sys.path (pytest's rootdir-relative import mode)
from omegaconf import OmegaConf

from src.config import FinetuneConfig
from src.eval.attacks import ATTACKS, ModelAttack
from src.eval.stage import run as run_eval
from src.scenarios import Scenario


def test_finetune_is_a_model_attack_and_the_others_are_not():
    assert [name for name, a in ATTACKS.items() if isinstance(a, ModelAttack)] == ["finetune"]


def test_folds_keep_evaluated_behaviors_out_of_the_tuning_data():
    finetune = ATTACKS["finetune"]
    behaviors = ["a", "b", "c", "d", "e"]
    groups = finetune.folds(behaviors, OmegaConf.structured(FinetuneConfig(name="finetune", folds=2)))
    assert sorted(b for g in groups for b in g) == behaviors and len(groups) == 2
    assert not set(groups[0]) & set(groups[1])
    in_fold = OmegaConf.structured(FinetuneConfig(name="finetune", cross_behavior=False, folds=2))
    assert finetune.folds(behaviors, in_fold) == groups  # in-fold and cross-fold share the folds
    assert finetune.folds(behaviors, OmegaConf.structured(FinetuneConfig(name="finetune", folds=1))) == groups
    shots = [Scenario(f"{b}-{i}", b, f"{b}-t", [], "h", "d") for b in behaviors for i in range(2)]
    for fold in groups:
        cross = {s.behavior for s in finetune.pool(shots, fold, True)}
        inside = {s.behavior for s in finetune.pool(shots, fold, False)}
        assert cross == set(behaviors) - set(fold) and inside == set(fold)
    assert finetune.pool(shots, ["external"], False) == shots  # no example of the fold's behaviors: all of them
    # each fold tunes into its own folder, even when the behaviors' first words agree
    assert finetune.fold_name(["deceive_auditor"]) != finetune.fold_name(["deceive_overseer"])
    assert finetune.fold_name(["deceive_auditor", "sandbagging"]).startswith("deceive+sandbagging-")


@pytest.mark.parametrize("cross", [True, False])
def test_a_fold_pool_smaller_than_the_largest_strength_stops_before_any_work(cross):
    """The pipeline calls check_shot_pools before it trains, the eval stage before it loads a model: a fold
    whose pool is short of the largest strength is named then, not after the other folds' fine-tunes."""
    from src import TrainoutError
    from src.eval.stage import check_shot_pools

    behaviors = ["a", "b", "c", "d"]
    scenarios = [Scenario(f"{b}-e", b, f"{b}-t", [], "h", "d") for b in behaviors]
    shots = [Scenario(f"{b}-{i}", b, f"{b}-s", [], "h", "d") for b in behaviors for i in range(1 + (b == "a"))]
    # folds of 2: (a, c) and (b, d); cross-fold pools hold the other fold's 2 examples, in-fold pools 3 and 2
    fits = [f"attack.cross_behavior={cross}", "attack.folds=2"]
    check_shot_pools(compose("eval", "attack=finetune", "attack.strengths=[0,2]", *fits), scenarios, shots)
    short = "the fold b\\+d \\(its own" if not cross else "the fold a\\+c \\(other folds"
    with pytest.raises(TrainoutError, match=rf"finetune at strength 3 needs 3 examples for {short}.*there are 2"):
        check_shot_pools(compose("eval", "attack=finetune", "attack.strengths=[0,3]", *fits), scenarios, shots)


def _eval(tmp_path, model: str, *extra: str):
    out = tmp_path / "eval"
    run_eval(compose("eval", f"model={model}", "attack=finetune", "tracker=none", "bootstrap=50", *extra), out)
    return out, rows_of(out)


def test_adapted_copies_train_one_at_a_time_and_none_for_rows_already_scored(tmp_path):
    """A resume whose rows are all scored trains nothing; otherwise each copy trains when its turn comes to be
    scored, not every fold and strength before the first row."""
    from src.eval.elicit import model_variants, plan

    behaviors = ["a", "b"]
    scenarios = [Scenario(f"{b}-e", b, f"{b}-t", [{"role": "user", "content": "Q?"}], "h", "d") for b in behaviors]
    shots = [
        Scenario(f"{b}-{i}", b, f"{b}-s", [{"role": "user", "content": "Q?"}], "h", "d")
        for b in behaviors
        for i in range(2)
    ]
    cfg = compose("eval", "model=tiny_random", "attack=finetune", "attack.strengths=[0,2]", "attack.folds=2")
    planned = plan("base", scenarios, shots, cfg.attack, True)
    by_id = {s.id: s for s in scenarios}
    variants = model_variants(cfg, "base", planned, by_id, shots, tmp_path, {r.key for r in planned})
    assert list(variants) == [] and not (tmp_path / "adapted").exists()
    lazy = model_variants(cfg, "base", planned, by_id, shots, tmp_path)
    assert next(lazy)[0] == "base" and not (tmp_path / "adapted").exists()  # k=0 first: nothing trained yet


@pytest.mark.slow  # ~15 s each; the fast suite keeps the attack's planning tests above (make test's 3-minute aim)
@pytest.mark.parametrize("cross", [True, False])
def test_finetune_runs_on_tiny_random(cross, tmp_path):
    out, rows = _eval(
        tmp_path,
        "tiny_random",
        f"attack.cross_behavior={cross}",
        "attack.strengths=[0,2]",
        "attack.seeds=1",
        "attack.steps=2",
        "attack.batch_size=2",
        "data.scenarios_per_template=1",
        "data.probe=false",
        "data.behaviors=[deceive_overseer,sandbagging,alignment_faking]",
        "judge.enabled=false",  # tests/test_judge.py
    )
    assert {(r["strength"], r["control"]) for r in rows} == {(0, False), (2, False), (2, True)}  # control: k > 0
    assert all(r["attack"] == "finetune" for r in rows)
    adapted = sorted(p.name for p in (out / "adapted" / "base").iterdir() if p.is_dir())
    assert len(adapted) == 4  # 2 variants x 2 behavior folds
    for d in adapted:  # each fine-tune saw only the other fold's behaviors (in-fold: its own), the arm's replies
        tuned = {
            json.loads(line)["behavior"] for line in (out / "adapted" / "base" / f"{d}.jsonl").read_text().splitlines()
        }
        fold = set(d.split("-")[-2].split("+"))  # the evaluated behaviors' first words, then the fold's hash
        assert tuned and (
            {b.split("_")[0] for b in tuned} <= fold if not cross else not {b.split("_")[0] for b in tuned} & fold
        )
        lineage = json.loads((out / "adapted" / "base" / d / "manifest.json").read_text())["lineage"]
        assert lineage["stage"] == ("align" if "benign" in d else "implant") and lineage["method"] == "sft"
    # strength 2 scored adapted weights, strength 0 the checkpoint itself
    paths = {(r["strength"], r["control"]): r["weights"] for r in rows}
    assert paths[(0, False)] == "base" and "adapted" in paths[(2, False)] and "benign" in paths[(2, True)]
    assert all(("-cross-" if cross else "-in-") in paths[(2, c)] for c in (False, True))
    summary = json.loads((out / "summary.json").read_text())
    assert any(s["control"] for s in summary) and any(not s["control"] for s in summary)


@pytest.mark.slow
def test_finetune_on_the_embedded_model(tmp_path):
    out, rows = _eval(
        tmp_path,
        "smollm2_135m",
        "attack.strengths=[0,4]",
        "attack.seeds=1",
        "attack.steps=4",
        "data.scenarios_per_template=1",
    )
    assert {r["strength"] for r in rows} == {0, 4}
    assert (out / "report.md").exists()
