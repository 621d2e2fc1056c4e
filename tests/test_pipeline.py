"""End to end: the pipeline on the tiny random model, the experiment configs, and sweeps."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import wandb_reader  # tests/ is on sys.path (pytest's rootdir-relative import mode)
from helpers import compose
from hydra import compose as hydra_compose
from hydra import initialize_config_dir

from src.config import CONF_DIR, run_slug
from src.data.generate import SPLITS

TINY = [
    "model=tiny_random",
    "data.scenarios_per_template=1",
    "data.split_situations={implant:1,align:1,eval:1,val:1,shots:1}",
    "train.max_steps=2",
    "pipeline.align.train.max_steps=2",  # the demo gives align its own step count
    "train.save_steps=1",
    "train.batch_size=2",
    "train.grad_accum=1",
    "attack.strengths=[0,1,2]",
    "attack.seeds=1",
    "data.per_split={eval:1,shots:2}",
    "judge.n=4",
    "judge.samples=2",
    "judge.max_new_tokens=8",
    "bootstrap=50",
]


FAKE_SECRETS = {
    "WANDB_API_KEY": "fakewandbkey0123456789abcdef0123456789abcd",
    "OPENAI_API_KEY": "sk-fake-openai-key-9f8e7d6c5b4a",
}


def run(
    module: str, *args: str, cwd: Path | None = None, check: bool = True, env: dict | None = None
) -> subprocess.CompletedProcess:
    p = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
    if check and p.returncode != 0:
        raise AssertionError(f"{module} failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("pipeline") / "run"
    # Fake secrets in the environment (W&B stays offline): none may end up in any file the run writes.
    run(
        "src.pipeline",
        *TINY,
        f"pipeline.stage_cache={out.parent}/stages",
        f"hydra.run.dir={out}",
        env={**FAKE_SECRETS, "WANDB_MODE": "offline"},
    )
    return out


def test_pipeline_end_to_end(pipeline_run):
    out = pipeline_run
    report = (out / "report.md").read_text()
    assert report.splitlines()[0].startswith("# trainout")
    paragraphs = report.split("\n\n")
    # First the organism gate: did implant − base move held-out Δ? Then whether base reads the evidence.
    assert paragraphs[2].startswith(("Model organism: implant − base held-out Δ = ", "**No model organism took**"))
    assert "In distribution (implant split, scored as written) the same Δ is" in paragraphs[2]
    # A random base model cannot read the evidence: the report says so and gives no verdict.
    assert paragraphs[3].startswith("**No behavior verdict: base does not read the evidence.**")
    assert "## p@0 in distribution (implant split) vs held out (eval split)" in report
    assert "## The answer" not in report and report.index("## Measurement") < report.index("## Mean p")
    assert (out / "elicitation_curves.png").stat().st_size > 10_000
    rows = [json.loads(line) for line in (out / "eval" / "elicitation.jsonl").read_text().splitlines()]
    checkpoints = {r["checkpoint"] for r in rows}
    assert checkpoints == {"base", "implant", "align"}
    from src.eval.compare import ROW_KEYS  # what compare requires of every row, and what the report reads besides

    also = {"nll_deceptive", "p_behavior_norm", "tokens_deceptive", "tokens_honest", "delta", "delta_span", "twin"}
    assert set(ROW_KEYS) | also | {"twin_id"} <= set(rows[0])
    twins = [r for r in rows if r["twin"]]
    assert twins and {(r["strength"], r["control"]) for r in twins} == {(0, False)}  # twins: strength 0 only
    in_dist = [json.loads(line) for line in (out / "eval" / "in_distribution" / "elicitation.jsonl").open()]
    implant_ids = {
        json.loads(line)["id"]
        for line in (out / "data" / "scenarios_implant.jsonl").open()
        if not json.loads(line)["meta"]["twin"]
    }
    assert {r["scenario_id"] for r in in_dist} == implant_ids  # the implant split, twins left out
    assert {(r["checkpoint"], r["strength"], r["attack"]) for r in in_dist} == {
        (c, 0, "none") for c in ("base", "implant", "align")
    }
    verdicts = json.loads((out / "verdicts.json").read_text())
    assert {v["checkpoint"] for v in verdicts["verdicts"]} == {"align"}  # base and implant: reference lines
    assert {o["implant"] for o in verdicts["organisms"]} == {"implant"}
    measured = json.loads((out / "measurement.json").read_text())
    assert {m["checkpoint"] for m in measured} == {"base", "implant", "align"}
    pairs = list(csv.DictReader((out / "evidence_pairs.csv").open()))  # each template row with its twin's Δ
    assert len(pairs) == 3 * len({r["scenario_id"] for r in rows if not r["twin"]})
    p = pairs[0]
    assert float(p["evidence_sensitivity"]) == pytest.approx(-(float(p["delta"]) + float(p["twin_delta"])))
    eval_templates = {r["template"] for r in rows}
    for split in ("implant", "align", "shots"):
        trained = {
            json.loads(line)["template"]
            for line in (out / "data" / f"scenarios_{split}.jsonl").read_text().splitlines()
        }
        assert not trained & eval_templates
    for stage in ("data", "implant", "align", "eval"):
        m = json.loads((out / stage / "manifest.json").read_text())
        assert m["status"] == "complete", stage
    # the eval stage's scoring, judge and in-distribution passes share one load of each checkpoint
    loads = json.loads((out / "eval" / "manifest.json").read_text())["model_loads"]
    assert [x for x in loads if not x.endswith(": held")] == ["base: disk", "implant: added", "align: added"]
    assert len(loads) == 9
    align = json.loads((out / "align" / "manifest.json").read_text())
    assert align["lineage"]["chain"] == ["base", "implant", "align"]
    assert align["parent_checkpoint"].endswith("final") and align["lineage"]["parent_sha256"]
    assert list((out / "implant").glob("wandb/offline-run-*")) and list((out / "eval").glob("wandb/offline-run-*"))


def test_no_secret_is_written_anywhere(pipeline_run):
    files = [p for p in pipeline_run.parent.rglob("*") if p.is_file()]
    assert len(files) > 50
    for f in files:
        data = f.read_bytes()
        for value in FAKE_SECRETS.values():
            assert value.encode() not in data, f"{value[:8]}... found in {f}"


def test_training_loss_reaches_the_wandb_offline_run(pipeline_run):
    losses = [
        row["train/loss"]
        for row in wandb_reader.history(wandb_reader.run_file(pipeline_run / "implant"))
        if "train/loss" in row
    ]
    assert losses and all(isinstance(x, float) for x in losses)


def test_rerun_of_a_finished_pipeline_does_nothing_and_another_config_is_refused(pipeline_run, capsys):
    """The same command (or one that only logs differently) gets the finished report; another config into the
    same folder, e.g. after editing an experiment file, is refused with what differs, not given the old report."""
    from src import TrainoutError
    from src.pipeline import run as run_pipeline

    before = (pipeline_run / "manifest.json").read_bytes()
    same = [*TINY, f"pipeline.stage_cache={pipeline_run.parent}/stages"]
    for logged in ([], ["tracker=none", "tags=[other]"]):
        assert run_pipeline(compose("pipeline", *same, *logged), pipeline_run) == pipeline_run / "report.md"
        assert "is complete" in capsys.readouterr().out
    assert (pipeline_run / "manifest.json").read_bytes() == before
    other = compose("pipeline", *same, "attack.strengths=[0,1]", "verdict.recovery=0.4")
    with pytest.raises(TrainoutError, match=r"another config \(differs in attack\.strengths, verdict\.recovery\)"):
        run_pipeline(other, pipeline_run)


def test_compare_reads_the_eval_run(pipeline_run, tmp_path):
    from src.eval.compare import compare, find_runs

    assert find_runs([str(pipeline_run)]) == [pipeline_run / "eval"]  # not its in_distribution folder
    compare(find_runs([f"{pipeline_run}/eval"]), tmp_path, n_boot=50)
    table = list(csv.DictReader((tmp_path / "comparison.csv").open()))
    keys = {(r["checkpoint"], r["behavior"], r["attack"]) for r in table}
    assert len(keys) == len(table)  # one row per checkpoint x behavior x attack
    assert {r["checkpoint"] for r in table} == {"base", "implant", "align"}
    report = (tmp_path / "report.md").read_text()
    curves = report.split("## Mean p(behavior) by strength")[1]
    rows = [
        line.split(" | ")[0] for line in curves.splitlines() if line.startswith(("| base |", "| implant", "| align"))
    ]
    assert rows[:3] == ["| base", "| implant", "| align"]  # checkpoints in the order they were given
    differences = report.split("## Differences between checkpoints")[1].split("\n## ")[0]
    diffs = re.findall(r"^\| (\w+) \| (\w+) \| (\d+) \|", differences, flags=re.M)
    assert "## Sampled replies" in report  # the judge's section, as the eval run's own report has it
    # the demo attacks align only (`attacked: [align]`): base and implant are compared where all are scored, k=0
    assert diffs == [("base", "implant", "0"), ("implant", "align", "0")]


@pytest.mark.slow
def test_compare_killed_then_rerun_gives_the_same_outputs(pipeline_run, tmp_path):
    args = [f"runs=[{pipeline_run}/eval]", "tracker=none", "bootstrap=50"]
    run("src.eval.compare", *args, f"hydra.run.dir={tmp_path}/ref")
    outputs = ("comparison.csv", "summary.json", "report.md")
    for delay in (1.5, 3.0):  # during start-up, and while it summarises and plots
        p = subprocess.Popen(
            [sys.executable, "-m", "src.eval.compare", *args, f"hydra.run.dir={tmp_path}/killed"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        for name in outputs:  # whatever exists is whole: every output is written to a temp file and renamed
            if (tmp_path / "killed" / name).exists():
                assert (tmp_path / "killed" / name).read_bytes() == (tmp_path / "ref" / name).read_bytes()
    run("src.eval.compare", *args, f"hydra.run.dir={tmp_path}/killed")
    for name in outputs:
        assert (tmp_path / "killed" / name).read_bytes() == (tmp_path / "ref" / name).read_bytes()


@pytest.mark.parametrize("experiment", sorted(p.stem for p in Path(CONF_DIR, "experiment").glob("*.yaml")))
def test_every_experiment_composes(experiment):
    with initialize_config_dir(CONF_DIR, version_base="1.3"):
        cfg = hydra_compose("pipeline", overrides=[f"experiment={experiment}"], return_hydra_config=True)
    assert cfg.name == experiment and cfg.tags
    header = Path(CONF_DIR, "experiment", f"{experiment}.yaml").read_text().splitlines()[1]
    assert "python -m src.pipeline" in header  # each file says the command that runs it


@pytest.mark.parametrize("method", ["sft", "ipo", "sft_dpo"])
def test_a_stage_can_pin_another_method(method):
    from src.pipeline import stage_config

    cfg = compose("pipeline", "experiment=method_sweep", f"method={method}")
    implant, align = stage_config(cfg, "implant", "base"), stage_config(cfg, "align", "x")
    assert (implant.method.name, implant.method.loss_type, implant.init_from) == ("dpo", "sigmoid", "base")
    assert align.method == cfg.method and align.init_from == "x"


def test_a_mistyped_value_fails_at_compose_time_in_one_line(tmp_path):
    p = run("src.eval", "attack.strengths=[0,x]", f"hydra.run.dir={tmp_path}/run", check=False)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "Value 'x' of type 'str' could not be converted to Integer" in p.stderr
    assert not (tmp_path / "run").exists()  # found before any stage ran


@pytest.mark.parametrize(
    "app, override, message",
    [
        ("pipeline", "trian.max_steps=3", "Could not override 'trian.max_steps'"),
        ("eval", "attack.seeds=two", "Value 'two' of type 'str' could not be converted to Integer"),
        ("data", "data.format=csv", "Invalid value 'csv', expected one of [scenario, preference, mwe]"),
        ("train", "stage=finetune", "Invalid value 'finetune', expected one of [implant, align]"),
        ("train", "method.bta=0.2", "Could not override 'method.bta'"),
        ("eval", "attack=many_shot attack.folds=3", "Could not override 'attack.folds'"),  # folds belong to finetune
    ],
)
def test_wrong_keys_and_types_fail_at_compose_time(app, override, message):
    from hydra.errors import ConfigCompositionException

    with pytest.raises(ConfigCompositionException) as e:
        compose(app, *override.split())
    assert message in str(e.value) + str(e.value.__cause__)


@pytest.mark.parametrize("app", ["data", "train", "eval", "pipeline", "compare"])
def test_every_app_accepts_the_tracker_override(app):
    extra = ["runs=[x]"] if app == "compare" else []
    assert compose(app, "tracker=none", *extra).tracker.name == "none"
    assert compose(app, *extra).tracker.name == "wandb"


def test_wandb_mode_follows_the_environment(monkeypatch):
    from src.tracking import wandb_mode

    tracker = compose("pipeline").tracker
    for env, mode in (("offline", "offline"), ("online", "online"), ("dryrun", "offline")):  # dryrun: W&B's old name
        monkeypatch.setenv("WANDB_MODE", env)
        assert wandb_mode(tracker) == mode
    assert wandb_mode(compose("pipeline", "tracker=none").tracker) is None


def test_attack_defaults_live_in_one_place_per_family():
    many_shot, finetune = compose("eval", "attack=many_shot").attack, compose("eval", "attack=finetune").attack
    assert many_shot.cross_behavior is False and finetune.cross_behavior is True
    assert finetune.fine_tune == "src.train.stage.fine_tune"


@pytest.mark.slow  # the fast suite's time; test_beta_sweep_multirun_then_compare runs a multirun too (slow)
def test_multirun_resolves_the_default_sweep_dir(tmp_path):
    # The sweeper reads hydra.sweep.dir before any job exists, so it may not use ${hydra:...} resolvers.
    small = ["data.behaviors=[sandbagging]", "data.probe=false", "data.scenarios_per_template=1"]
    run("src.data", "-m", "seed=0,1", "tags=[test]", "tracker=none", *small, cwd=tmp_path)
    cards = sorted(tmp_path.glob("multirun/data/demo/*/*/dataset_card.md"))
    # <job number>_<the job's overrides, sorted>; brackets are not kept in a folder name, so a hash keeps it distinct
    overrides = "data.behaviors=[sandbagging],data.probe=False,data.scenarios_per_template=1,seed={}"
    assert [c.parent.name for c in cards] == [f"{n}_{run_slug(overrides.format(n))}" for n in (0, 1)]
    assert cards[0].parent.name.startswith("0_data.behaviors=_sandbagging_,data.probe=False,")


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["basic", "local"])
def test_beta_sweep_multirun_then_compare(tmp_path, launcher):
    extra = [] if launcher == "basic" else ["hydra/launcher=local"]
    # No hydra.sweep.dir: the default (multirun/pipeline/beta_sweep/<time>) is part of what is tested.
    run(
        "src.pipeline",
        "-m",
        "experiment=beta_sweep",
        *TINY,
        *extra,
        "tracker=none",
        f"pipeline.stage_cache={tmp_path}/stages",
        cwd=tmp_path,
    )
    [sweep] = (tmp_path / "multirun" / "pipeline" / "beta_sweep").iterdir()
    run("src.eval.compare", f"runs=[{sweep}]", "tracker=none", "bootstrap=50", f"hydra.run.dir={tmp_path}/cmp")
    table = list(csv.DictReader((tmp_path / "cmp" / "comparison.csv").open()))
    assert {r["pipeline.align.method.beta"] for r in table if r["checkpoint"].startswith("align")} == {"0.05", "0.5"}
    implants = list((tmp_path / "stages").glob("implant-*"))
    assert len(implants) == 1  # both jobs shared one implant stage


@pytest.mark.slow
@pytest.mark.parametrize("experiment", ["method_sweep", "steps_trajectory", "heldout_behaviors"])
def test_experiment_runs_on_tiny_random(tmp_path, experiment):
    mode = ["-m"] if experiment.endswith("sweep") else []
    where = f"hydra.sweep.dir={tmp_path}/out" if mode else f"hydra.run.dir={tmp_path}/out"
    run(
        "src.pipeline",
        *mode,
        f"experiment={experiment}",
        *TINY,
        "tracker=none",
        f"pipeline.stage_cache={tmp_path}/stages",
        where,
    )
    assert list((tmp_path / "out").rglob("report.md"))


def test_checkpoint_from_a_different_base_is_refused(pipeline_run):
    from src import TrainoutError
    from src.models import ModelConfig, load_model

    other = ModelConfig(kind="tiny_random", seed=1)  # a different base than the one the pipeline trained
    with pytest.raises(TrainoutError, match="was trained from base model 'tiny-random-llama-0'"):
        load_model(other, str(pipeline_run / "align" / "final"))


def test_a_checkpoint_trained_on_the_eval_templates_is_refused(tmp_path):
    """E.g. weights trained on a seed-1 data run, scored on the seed-0 splits src.eval generates without
    data.path: some eval templates are training templates, and nothing in the report would say so. (Here the
    chain's recorded training file is the eval split itself.)"""
    from src import TrainoutError
    from src.eval.stage import run as run_eval
    from src.models import CHECKPOINT_INFO

    final = tmp_path / "implant" / "final"
    final.mkdir(parents=True)
    data = {"path": str(Path(CONF_DIR).parent / "data" / "scenarios_eval.jsonl")}
    (final.parent / CHECKPOINT_INFO).write_text(json.dumps({"label": "implant", "data": data, "parent": "base"}))
    args = ["model=tiny_random", "tracker=none", f"checkpoints=[base,{final}]", "attack=none"]
    args.append(f"data.path={Path(CONF_DIR).parent / 'data'}")
    with pytest.raises(TrainoutError, match=r"was trained on \d+ of the \d+ templates this eval scores"):
        run_eval(compose("eval", *args), tmp_path / "eval")


def test_two_checkpoints_with_one_label_are_refused(tmp_path):
    """Rows are keyed by label: two `align` checkpoints in one eval would share rows, the second never scored."""
    from src import TrainoutError
    from src.eval.stage import run as run_eval
    from src.models import CHECKPOINT_INFO

    runs = [tmp_path / r / "align" / "final" for r in ("a", "b")]
    for final in runs:
        final.mkdir(parents=True)
        (final.parent / CHECKPOINT_INFO).write_text(json.dumps({"label": "align"}))
    cfg = compose("eval", "model=tiny_random", f"checkpoints=[{runs[0]},{runs[1]}]", "attack=none", "tracker=none")
    with pytest.raises(TrainoutError, match=r"have the same label 'align' .* evaluate them in separate runs"):
        run_eval(cfg, tmp_path / "eval")
    assert not (tmp_path / "eval").exists()  # refused before any work
    cfg = compose("eval", "model=tiny_random", f"checkpoints=[base,{tmp_path}/nope/final]", "attack=none")
    with pytest.raises(TrainoutError, match=r"nope/final' does not exist \(a src.train run keeps its weights in"):
        run_eval(cfg, tmp_path / "eval")


def test_one_data_file_is_split_before_any_stage_reads_it(tmp_path):
    """data.path=<one file>: the data stage splits it by template into the run's data/, and every later stage
    reads those splits (it used to be refused: implant, align and eval would all have read the whole file)."""
    from src import TrainoutError
    from src.data import load_split, split_file
    from src.pipeline import data_splits

    mine = tmp_path / "mine.jsonl"
    mine.write_text(
        "".join((Path(CONF_DIR).parent / "data" / f"scenarios_{n}.jsonl").read_text() for n in ("eval", "val"))
    )
    three = "data.split_situations={implant:1,align:1,eval:1,val:0,shots:0}"  # the file holds 3 per behavior
    cfg = compose(
        "pipeline",
        "model=tiny_random",
        f"data.path={mine}",
        three,
        "data.behaviors=[sandbagging]",
        "data.probe=false",
        "tracker=none",
    )
    cfg, data = data_splits(cfg, tmp_path / "run")
    assert data == tmp_path / "run" / "data" and cfg.data.path == str(data)
    assert {split_file(cfg.data, n, data).name for n in ("implant", "eval")} == {
        "scenarios_implant.jsonl",
        "scenarios_eval.jsonl",
    }
    templates = [{s.template for s in load_split(cfg.data, n, data)} for n in ("implant", "align", "eval")]
    assert all(templates) and not (templates[0] & templates[2]) and not (templates[1] & templates[2])
    folder = compose("pipeline", f"data.path={data}")
    assert data_splits(folder, tmp_path / "other") == (folder, data)  # a split folder is read as it is
    assert not (tmp_path / "other").exists()
    hub = compose("pipeline", "model=tiny_random", "data.path=someone/scenarios", "tracker=none")  # offline here
    with pytest.raises(TrainoutError, match="'someone/scenarios' is not a local file and could not be loaded from"):
        data_splits(hub, tmp_path / "hub")


@pytest.mark.slow
def test_pipeline_on_one_users_file(tmp_path):
    """The whole pipeline from one file (the generator's TINY splits pooled, sorted by id): split, trained on its
    implant and align splits, evaluated on its eval split, with many-shot demonstrations from its shots split."""
    from src.data.generate import GenerateConfig, generate
    from src.models import CHECKPOINT_INFO
    from src.scenarios import write_scenarios

    small = GenerateConfig(seed=3, scenarios_per_template=1, split_situations=dict.fromkeys(SPLITS, 1))
    mine = tmp_path / "mine.jsonl"
    write_scenarios(mine, sorted((s for ss in generate(small).values() for s in ss), key=lambda s: s.id))
    run(
        "src.pipeline",
        *TINY,
        f"data.path={mine}",
        "tracker=none",
        f"pipeline.stage_cache={tmp_path}/stages",
        f"hydra.run.dir={tmp_path}/out",
    )
    out = tmp_path / "out"
    assert (out / "report.md").exists() and "Split from the user's file" in (
        out / "data" / "dataset_card.md"
    ).read_text()
    lineage = json.loads((out / "align" / CHECKPOINT_INFO).read_text())
    assert lineage["data"]["path"] == str(out / "data" / "scenarios_align.jsonl")
    rows = [json.loads(x) for x in (out / "eval" / "elicitation.jsonl").read_text().splitlines()]
    evaluated = {r["scenario_id"] for r in rows}
    assert evaluated and evaluated <= {json.loads(x)["id"] for x in (out / "data" / "scenarios_eval.jsonl").open()}


def test_each_seed_trains_its_own_stages():
    """The stage cache keys a stage by its inputs, seed included: the jobs of experiment=seeds never share one."""
    from src.pipeline import stage_config, stage_dir

    data = Path(CONF_DIR).parent / "data"  # the committed splits
    where = {}
    for seed in (0, 1, 2):
        cfg = compose("pipeline", "experiment=seeds", f"seed={seed}", "pipeline.stage_cache=/cache")
        assert cfg.data.seed == 0  # the scenarios stay fixed: only training varies
        where[seed] = stage_dir(cfg, stage_config(cfg, "implant", "base"), Path("/run"), data)
    assert len(set(where.values())) == 3 and all(p.name.startswith("implant-") for p in where.values())
    same = compose("pipeline", "experiment=seeds", "seed=1", "pipeline.stage_cache=/cache")
    assert stage_dir(same, stage_config(same, "implant", "base"), Path("/run"), data) == where[1]
    scoring = compose("pipeline", "experiment=seeds", "seed=1", "pipeline.stage_cache=/cache", "model.max_context=64")
    assert stage_dir(scoring, stage_config(scoring, "implant", "base"), Path("/run"), data) == where[1]


def test_the_align_stage_is_keyed_by_its_parents_weights(tmp_path):
    """A retrained implant (other weights, same folder) gives align a new cache folder, not the old adapter."""
    from src.pipeline import stage_config, stage_dir

    data = Path(CONF_DIR).parent / "data"
    cfg = compose("pipeline", "pipeline.stage_cache=/cache")
    implant = tmp_path / "implant" / "final"
    implant.mkdir(parents=True)
    where = []
    for weights in (b"A", b"B"):
        (implant / "adapter_model.safetensors").write_bytes(weights)
        where.append(stage_dir(cfg, stage_config(cfg, "align", str(implant)), Path("/run"), data))
    assert where[0] != where[1] and all(p.name.startswith("align-") for p in where)


def test_a_stage_on_trained_adapters_is_keyed_by_how_they_enter_training(tmp_path, monkeypatch):
    """Until session 18 a parent was merged into bf16 weights for training: stages on adapters (align, sft_dpo's
    DPO phase) carry the version of how they enter training, so one trained the old way is neither reused from
    the stage cache nor resumed. An implant from base keeps its key."""
    import src.pipeline
    from src.pipeline import stage_config, stage_dir
    from src.train.stage import training_settings

    data = Path(CONF_DIR).parent / "data"
    implant = tmp_path / "implant" / "final"
    implant.mkdir(parents=True)
    (implant / "adapter_model.safetensors").write_bytes(b"A")
    cfg = compose("pipeline", "pipeline.stage_cache=/cache")
    sft_dpo = compose("pipeline", "pipeline.stage_cache=/cache", "method=sft_dpo")
    stages = {
        "align": (cfg, stage_config(cfg, "align", str(implant))),
        "implant": (cfg, stage_config(cfg, "implant", "base")),
        "sft_dpo implant": (sft_dpo, stage_config(sft_dpo, "implant", "base")),
    }
    versions = {name: training_settings(stage).get("parent_loading") for name, (_, stage) in stages.items()}
    assert versions == {"align": 2, "implant": None, "sft_dpo implant": 2}
    keys = {name: stage_dir(c, stage, Path("/run"), data) for name, (c, stage) in stages.items()}
    monkeypatch.setattr(src.pipeline, "parent_loading", lambda cfg: {})  # the key before session 18: no entry
    old = {name: stage_dir(c, stage, Path("/run"), data) for name, (c, stage) in stages.items()}
    assert [name for name in keys if keys[name] != old[name]] == ["align", "sft_dpo implant"]


def test_a_stage_trained_on_some_behaviors_of_a_file_is_keyed_by_them():
    """data/ read as it is, all behaviors or some: one file hash, two trainings, two cache folders."""
    from src.pipeline import stage_config, stage_dir
    from src.train.stage import training_settings

    data = Path(CONF_DIR).parent / "data"
    keys = []
    for extra in ([], ["experiment=heldout_behaviors"], ["data.behaviors=[sandbagging]"]):
        cfg = compose("pipeline", "pipeline.stage_cache=/cache", f"data.path={data}", *extra)
        stage = stage_config(cfg, "align", "base")
        keys.append((stage_dir(cfg, stage, Path("/run"), data), json.dumps(training_settings(stage), sort_keys=True)))
    assert len({k for k, _ in keys}) == 3 and len({s for _, s in keys}) == 3


@pytest.mark.parametrize(
    "override, message",
    [
        ("++pipeline.align.train.max_stepz=6", "pipeline.align: Key 'max_stepz' not in 'TrainConfig'"),
        ("++pipeline.align.method=sft", r"pipeline.align.method must be a mapping, e.g. \{name: sft\}"),
        ("train.split=eval", "the implant stage would train on the eval split, which the verdicts read"),
        ("++pipeline.align.train.split=val", "the align stage would train on the val split"),
        ("pipeline.stages=[align]", r"pipeline.evaluate names \['implant'\], not base or a stage"),
        ("++pipeline.align.attack.strengths=[0,2]", r"pipeline.align sets \['attack'\], which is not set per stage"),
        ("attack=persona attack.strengths=[0,40]", "the pool for 'persona' has 32"),
        ("init_from=/some/final", "init_from= is set by the pipeline itself"),
        ("checkpoints=[base,/x/final]", "checkpoints= is set by the pipeline itself"),
        ("stage=align", "stage= is set by the pipeline itself"),
        ("++pipeline.align.train.lr_scheduler=cosin", "unknown train.lr_scheduler 'cosin'"),
        ("peft.r=0", "peft.r=0 must be >= 1"),
    ],
)
def test_a_stage_config_error_stops_the_pipeline_before_any_training(tmp_path, override, message):
    from src import TrainoutError
    from src.pipeline import run as run_pipeline

    with pytest.raises(TrainoutError, match=message):
        run_pipeline(compose("pipeline", "model=tiny_random", "tracker=none", *override.split()), tmp_path)
    assert not (tmp_path / "manifest.json").exists()


@pytest.mark.slow
def test_seeds_experiment_then_compare_pools_the_seeds(tmp_path):
    """`python -m src.pipeline -m experiment=seeds`, then compare: one configuration, three trained chains."""
    run(
        "src.pipeline",
        "-m",
        "experiment=seeds",
        *TINY,
        "tracker=none",
        f"pipeline.stage_cache={tmp_path}/stages",
        f"hydra.sweep.dir={tmp_path}/sweep",
    )
    assert len(list((tmp_path / "stages").glob("implant-*"))) == 3
    val = [json.loads(line) for f in sorted(tmp_path.glob("sweep/*/eval/val/elicitation.jsonl")) for line in f.open()]
    assert {(r["checkpoint"], r["strength"], r["control"]) for r in val} == {("align", 0, False), ("align", 2, False)}
    cmp = tmp_path / "cmp"
    run("src.eval.compare", f"runs=[{tmp_path}/sweep]", "tracker=none", "bootstrap=50", f"hydra.run.dir={cmp}")
    table = list(csv.DictReader((cmp / "comparison.csv").open()))
    assert {r["checkpoint"] for r in table} == {"base", "implant", "align"}  # one label per checkpoint, not per seed
    assert {r["train_seeds"] for r in table} == {"0,1,2"}
    report = (cmp / "report.md").read_text()
    assert re.search(r"3 training seeds, \d+ templates, \d+ scenarios", report)  # the organism line
    assert "## Sweep choice (val split, never eval)" in report


@pytest.mark.slow
def test_optuna_sweep_minimises_the_pipeline_objective(tmp_path):
    run(
        "src.pipeline",
        "-m",
        "hydra/sweeper=optuna_pmax",
        "hydra.sweeper.n_trials=2",
        "tags=[optuna]",
        *TINY,
        "tracker=none",
        f"pipeline.stage_cache={tmp_path}/stages",
        f"hydra.sweep.dir={tmp_path}/sweep",
    )
    best = (tmp_path / "sweep" / "optimization_results.yaml").read_text()
    assert "best_value" in best and "pipeline.align.method.beta" in best
    assert len(list((tmp_path / "stages").glob("implant-*"))) == 1  # trials vary only the align stage
    from src.pipeline import objective

    trials = sorted((tmp_path / "sweep").glob("*/eval/val/elicitation.jsonl"))
    assert len(trials) == 2  # each trial scored its align checkpoint on val, and its objective reads that
    best_value = float(re.search(r"best_value: (\S+)", best).group(1))
    assert best_value == pytest.approx(min(objective(compose("pipeline"), f.parents[2]) for f in trials))


def test_a_random_model_sees_even_odds_and_gets_no_verdict(tmp_path):
    """`python -m src.eval model=tiny_random checkpoints=[base] attack=none`: mean p at 0.5, and no verdict."""
    from src.eval.stage import run as run_eval

    run_eval(
        compose(
            "eval",
            "model=tiny_random",
            "checkpoints=[base]",
            "attack=none",
            "tracker=none",
            "bootstrap=200",
            f"data.path={Path(__file__).parents[1] / 'data' / 'scenarios_eval.jsonl'}",  # the committed eval split
            "judge.enabled=false",
        ),
        tmp_path,
    )
    (overall,) = [s for s in json.loads((tmp_path / "summary.json").read_text()) if s["behavior"] == "all"]
    assert abs(overall["p@0"] - 0.5) <= 0.05 and overall["p@0_ci"][0] <= 0.5 <= overall["p@0_ci"][1]
    report = (tmp_path / "report.md").read_text()
    assert "**No behavior verdict: base does not read the evidence.**" in report and "## The answer" not in report
