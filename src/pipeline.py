"""`python -m src.pipeline`: data -> implant -> align -> elicit -> report, in one run directory.

Each stage writes its own run directory (data/, implant/, align/, eval/) with its own manifest and
W&B run; a stage that finished is reused, so rerunning a killed pipeline resumes it. Training stages
can live in a shared stage cache keyed by everything that determines them, so the jobs of a sweep
that differ only in the align stage train the implant stage once; the key holds `seed`, so the jobs
of a seed sweep (`experiment=seeds`) train independent implant -> align chains. A sweep job also
scores its last checkpoint on the `val` split, and that is all the objective it returns reads: tuning
never sees the eval split. `make run` runs this on the embedded model.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import time
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from src import TrainoutError
from src.config import CONF_DIR, group_option, one_line_errors, run_dir, to_dict, to_yaml
from src.data import split_file
from src.data.stage import run as run_data
from src.eval.compare import EVAL_SPLIT, check_tuning_split, differing_config, tuning_objective
from src.eval.stage import InDistribution, Tuning, check_attack, check_shot_pools, check_verdict, eval_data
from src.eval.stage import run as run_eval
from src.io import file_hash, flock, json_sha256
from src.lm.render import RENDERING
from src.lm.vllm_scoring import require_vllm
from src.models import ModelConfig, base_folder, chat_template_hash, checkpoint_step
from src.rundir import RunDir, is_main_process
from src.scenarios import is_hub_id
from src.train.stage import SCORING_ONLY, STAGE_KEYS, behavior_selection, check_training, parent_loading
from src.train.stage import run as run_train


def stage_dir(cfg: DictConfig, stage_cfg: DictConfig, out: Path, data: Path) -> Path:
    """Where a training stage runs: inside this run, or in the shared cache under a key of its inputs
    (`STAGE_KEYS`; `seed` is in it: two seeds never share a stage)."""
    cache = cfg.pipeline.stage_cache
    if not cache:
        return out / stage_cfg.stage
    spec = {k: to_dict(stage_cfg)[k] for k in STAGE_KEYS}
    spec["data"] = file_hash(split_file(stage_cfg.data, stage_cfg.train.split or str(stage_cfg.stage), data))
    spec.update(behavior_selection(stage_cfg.data))  # what of that file it trains on, where not all of it
    for key in SCORING_ONLY:  # what does not change training: a new value reuses the stage
        spec["model"].pop(key, None)
    spec["model"].update(chat_template_hash(stage_cfg.model))  # its text, not only its file's name
    spec["rendering"] = RENDERING  # how rows render, as the stage's own settings have it (training_settings)
    if str(stage_cfg.init_from) != "base":  # the parent's weights, not its path: a retrained parent is a new key
        spec["init_from"] = file_hash(stage_cfg.init_from)
    spec.update(parent_loading(stage_cfg))  # how they enter training, as the stage's own settings have it
    key = json_sha256(spec)[:16]
    return Path(cache) / f"{stage_cfg.stage}-{key}"


@contextlib.contextmanager
def locked(folder: Path):
    """Hold an exclusive lock on a stage folder: a parallel sweep job waits instead of training it twice."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "w") as f:
        flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            flock(f, fcntl.LOCK_UN)


def _trajectory(stage_dir: Path) -> list[str]:
    """Every intermediate checkpoint a training stage saved, in step order (sft_dpo: both phases)."""
    found = [p for p in stage_dir.rglob("checkpoint-*") if p.is_dir() and checkpoint_step(p) is not None]
    # the Trainer also saves at its last step: those are the final weights, which the caller scores as `final`
    return [str(p) for p in sorted(found, key=checkpoint_step)][:-1]


def stage_config(cfg: DictConfig, stage: str, parent: str) -> DictConfig:
    """The config one training stage runs with: the run's config plus `pipeline.<stage>` overrides.

    A per-stage `method` or `peft` that names another option (`{name: dpo, ...}`) replaces that group
    as choosing it on the command line would; one without a name (`{beta: 0.5}`) only edits it.
    """
    override = cfg.pipeline.get(stage) or {}
    out = OmegaConf.merge(cfg, {"stage": stage, "init_from": parent})
    for group in ("method", "peft"):
        name = (override.get(group) or {}).get("name")
        if name and name != out[group].name:
            try:
                out[group] = group_option(group, name)
            except TrainoutError as e:
                raise TrainoutError(f"pipeline.{stage}.{e}") from None
    return OmegaConf.merge(out, override)


PER_STAGE = ("method", "peft", "train", "seed")  # what pipeline.<stage> may set: the stage's own training


def check_stages(cfg: DictConfig) -> None:
    """Each stage's config composes (a typo in `pipeline.align...` fails now, not after the implant trained),
    trains on a split that nothing reads for a verdict or a tuning choice, and every evaluated checkpoint is
    one the pipeline makes."""
    stages = [str(s) for s in cfg.pipeline.stages]
    made = {"stage": "implant", "init_from": "base", "checkpoints": ["base"]}  # conf/pipeline.yaml's values
    for key, value in made.items():
        if to_dict(cfg)[key] != value:  # the pipeline sets these per stage: another value would be ignored
            raise TrainoutError(
                f"{key}= is set by the pipeline itself (stages: pipeline.stages, scored: pipeline.evaluate); "
                f"to {'train one stage' if key != 'checkpoints' else 'score other checkpoints'} use "
                f"python -m {'src.train' if key != 'checkpoints' else 'src.eval'}"
            )
    for stage in stages:
        if not isinstance(cfg.pipeline.get(stage, {}), (DictConfig, dict)):
            raise TrainoutError(f"pipeline.{stage} must be a mapping of overrides, e.g. {{method: {{beta: 0.5}}}}")
        ignored = sorted(set(cfg.pipeline.get(stage) or {}) - set(PER_STAGE))
        if ignored:  # an attack or judge setting here would be accepted and do nothing; one model, one dataset
            raise TrainoutError(
                f"pipeline.{stage} sets {ignored}, which is not set per stage; per stage: "
                f"{', '.join(PER_STAGE)}. Set the others for the whole run (e.g. attack.strengths=...)"
            )
        for group in ("method", "peft"):
            value = (cfg.pipeline.get(stage) or {}).get(group)
            if value is not None and not isinstance(value, DictConfig):
                raise TrainoutError(f"pipeline.{stage}.{group} must be a mapping, e.g. {{name: {value}}}")
        try:
            stage_cfg = stage_config(cfg, stage, "base")
        except OmegaConfBaseException as e:
            raise TrainoutError(f"pipeline.{stage}: {str(e).splitlines()[0]}") from None
        try:
            check_training(stage_cfg)
        except TrainoutError as e:
            raise TrainoutError(f"the {stage} stage: {e}") from None
        split = str(stage_cfg.train.split or stage)
        if split in (EVAL_SPLIT, str(cfg.pipeline.tuning_split)):
            raise TrainoutError(
                f"the {stage} stage would train on the {split} split, which the "
                f"{'verdicts read' if split == EVAL_SPLIT else 'sweep objective reads'}: choose another train.split"
            )
    unknown = [c for c in map(str, cfg.pipeline.evaluate) if c not in ["base", *stages]]
    if unknown:
        raise TrainoutError(f"pipeline.evaluate names {unknown}, not base or a stage of pipeline.stages={stages}")


def data_splits(cfg: DictConfig, out: Path) -> tuple[DictConfig, Path]:
    """The folder of split files the stages read, and the config that points them at it: data.path's folder
    as given (`python -m src.data` wrote it; the repository's data/ is one), else the data stage's output in
    `out/data`: generated scenarios, or the user's one file split by template, which no later stage reads whole."""
    if cfg.data.path and Path(cfg.data.path).is_dir():
        return cfg, Path(cfg.data.path)
    run_data(cfg, out / "data")
    if cfg.data.path:  # the split files are scenarios; a shots file keeps the user's format
        shots_format = str(cfg.attack.get("shots_format") or cfg.data.format)
        shots = {"attack": {"shots_format": shots_format}} if cfg.attack.get("shots_path") else {}
        cfg = OmegaConf.merge(cfg, {"data": {"path": str(out / "data"), "format": "scenario"}}, shots)
    return cfg, out / "data"


LOGGING_ONLY = ("tracker", "tags")  # how a run is logged, not what it computes


def settings_of(cfg: DictConfig) -> dict:
    """What a pipeline's report follows from: its whole resolved config but how it is logged."""
    return {k: v for k, v in to_dict(cfg).items() if k not in LOGGING_ONLY}


def refuse_other_settings(rd: RunDir, settings: dict) -> None:
    """A finished pipeline is reused only for the config it ran with: another one (an edited experiment file,
    another override into the same folder) would get the old report back. Names what differs."""
    if rd.manifest.get("settings_sha256") in (None, json_sha256(settings)):
        return
    before = OmegaConf.to_container(OmegaConf.load(rd.file("config.yaml")), resolve=False)
    changed = differing_config([before, settings])
    raise TrainoutError(
        f"{rd.path} is a finished pipeline run of another config (differs in {', '.join(changed[:6]) or 'its hash'}"
        f"{', ...' if len(changed) > 6 else ''}); its report answers that one. Run into a new folder "
        "(hydra.run.dir=... or name=...) or remove this one"
    )


def tuning_rows(cfg: DictConfig, out: Path) -> Path:
    """Where a sweep job's tuning rows go: `eval/<pipeline.tuning_split>/elicitation.jsonl`."""
    return out / "eval" / str(cfg.pipeline.tuning_split) / "elicitation.jsonl"


def run(cfg: DictConfig, out: Path, tuning: bool = False) -> Path:
    """The whole pipeline into `out`; `tuning` (a sweep job): also score the last stage's checkpoint on the
    tuning split for `objective`. A finished run is reused for the same config (a sweep job without tuning rows
    adds them)."""
    start = time.time()
    rd = RunDir(out, "pipeline")
    check_tuning_split(cfg.pipeline.tuning_split)
    source = {"data": cfg.data.path} if cfg.data.path and Path(cfg.data.path).is_file() else {}
    settings = settings_of(cfg)
    if rd.is_complete() and not (tuning and not tuning_rows(cfg, out).exists()):
        rd.refuse_changed_inputs(source)  # its report came from the file as it was then
        refuse_other_settings(rd, settings)  # and from this config
        print(f"pipeline: {out} is complete; report in {out / 'report.md'}")
        return out / "report.md"
    if cfg.data.path and not Path(cfg.data.path).exists() and not is_hub_id(cfg.data.path):
        raise TrainoutError(f"data.path={cfg.data.path} does not exist")
    check_stages(cfg)  # every stage's config, before the first one trains
    base_folder(ModelConfig.from_cfg(cfg.model))  # fail fast (and clearly) on a bad model before any work
    check_attack(cfg)  # and on an attack schedule that cannot be drawn
    check_verdict(cfg)  # and on a k* the run will not score
    if str(cfg.scoring.backend) == "vllm":
        require_vllm()  # and on a scoring backend this machine cannot run
    with rd.running(to_yaml(cfg), cfg.seed, inputs=source, settings_sha256=json_sha256(settings)) as outcome:
        cfg, data = data_splits(cfg, out)
        check_shot_pools(cfg, *eval_data(cfg, data))  # a user file's shots split may be small: say so before training
        checkpoints = {"base": "base"}
        parent, recipes = "base", []
        for stage in map(str, cfg.pipeline.stages):
            stage_cfg = stage_config(cfg, stage, parent)
            recipes.append(f"{stage} ({stage_cfg.method.name}, {stage_cfg.peft.name})")
            where = stage_dir(cfg, stage_cfg, out, data)
            with locked(where):
                parent = str(run_train(stage_cfg, where, generated_data=data))
            gc.collect()  # release the trainer's tensors before the next stage loads a model
            link = out / stage
            if where.parent != out:
                if link.is_symlink() and link.resolve() != where.resolve():  # to a removed or another cache folder
                    link.unlink()
                if not link.exists() and not link.is_symlink():  # a folder of its own (stage_cache=null) stays
                    link.symlink_to(where.resolve(), target_is_directory=True)
            checkpoints[stage] = parent
            if stage == str(cfg.pipeline.stages[-1]) and cfg.pipeline.trajectory:
                checkpoints[stage] = _trajectory(where) + [parent]
        wanted = [checkpoints[s] for s in cfg.pipeline.evaluate]
        finals = [w if isinstance(w, str) else w[-1] for w in wanted]  # no trajectory: k=0 on the implant split
        implant = stage_config(cfg, "implant", "base") if "implant" in map(str, cfg.pipeline.stages) else None
        in_distribution = InDistribution(str(implant.train.split or "implant"), finals) if implant else None
        # the sweep's objective reads the last stage's model, whatever order pipeline.evaluate lists them in
        last = checkpoints[str(cfg.pipeline.stages[-1])]
        tuned = Tuning(str(cfg.pipeline.tuning_split), last if isinstance(last, str) else last[-1]) if tuning else None
        eval_cfg = OmegaConf.merge(
            cfg, {"checkpoints": [c for w in wanted for c in ([w] if isinstance(w, str) else w)]}
        )
        run_eval(
            eval_cfg,
            out / "eval",
            generated_data=data,
            report_dir=out,
            in_distribution=in_distribution,
            tuning=tuned,
            header=f"Pipeline on {cfg.model.name_or_path}: base -> {' -> '.join(recipes)}; "
            "training and evaluation templates are disjoint.",
        )
        outcome.outputs = {"report": out / "report.md"}
        outcome.fields = {"wall_seconds": round(time.time() - start, 1)}
    return out / "report.md"


def objective(cfg: DictConfig, out: Path) -> float:
    """What a sweeper minimises: p at the largest strength of the last stage's checkpoint (all behaviors) on
    the tuning split (`pipeline.tuning_split`, val), plus `pipeline.capability_penalty` x the rise in
    benign-reply NLL per token that alignment cost. Read from the tuning rows only, never from the eval rows
    or eval/summary.json: a hyperparameter chosen by it has not seen the split the verdicts read."""
    return tuning_objective(out / "eval", cfg.pipeline.tuning_split, cfg.pipeline.capability_penalty).value


@hydra.main(config_path=CONF_DIR, config_name="pipeline", version_base="1.3")
@one_line_errors
def main(cfg: DictConfig) -> float | None:
    """A single run returns nothing; a sweep job (multirun: experiment=beta_sweep, hydra/sweeper=optuna_pmax)
    returns `objective`, the value the Optuna sweeper minimises."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    sweep = HydraConfig.get().mode == RunMode.MULTIRUN
    if sweep and not cfg.get("tags"):
        raise TrainoutError("a multirun needs tags (tags=[my_sweep]) so its W&B runs can be found and compared")
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # rank 0's trainer would wait for ranks that returned here
        raise TrainoutError(
            "src.pipeline runs its stages in one process; under accelerate launch, train each stage with "
            "`accelerate launch ... -m src.train` (README, 'Several GPUs') and evaluate with src.eval"
        )
    if not is_main_process():
        return None
    out = Path(run_dir())
    report = run(cfg, out, tuning=sweep)
    print(f"pipeline: report in {report}")
    if not sweep:
        return None
    value = objective(cfg, out)
    print(f"pipeline: objective {value:.4f} (read from {tuning_rows(cfg, out)})")
    return value


if __name__ == "__main__":
    main()
