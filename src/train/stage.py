"""The training stage: one implant or align run, resumable, and `fine_tune`, the same stage as a
function for code that fine-tunes a checkpoint on a few scenarios (the finetune attack).

implant: train the behavior in (the deceptive reply preferred), so a model that lacks it becomes a
model organism that has it. align: train it out (the honest reply preferred), on top of `init_from`
(a checkpoint path, its adapters added first: src.models.load_model; or `base`).

Methods are recipes behind one interface (src/train/common.py TrainJob): sft (src/train/sft.py), dpo and
ipo (src/train/dpo.py), sft_dpo (src/train/sft_dpo.py, two phases). peft=lora trains adapters, peft=none
all weights. Writes `checkpoints/checkpoint-N` every train.save_steps (all kept), `final/`, `metrics.json`
(with "capability" after an align run: src/train/capability.py), `manifest.json`, `trainout_checkpoint.json`.
Rerunning the same command resumes a killed run from its last complete checkpoint.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import logging
import os
import shutil
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from src import TrainoutError
from src.config import Stage, TrainApp, TrainConfig, group_option, run_dir, to_dict, to_yaml
from src.data import load_split, read_format, split_file
from src.io import file_hash, json_sha256, read_json
from src.lm.render import RENDERING, rendered_tokens
from src.models import (
    CHECKPOINT_INFO,
    ModelConfig,
    chat_template_hash,
    checkpoint_info,
    load_model,
    load_tokenizer,
    merge_beside,
    model_id,
    plain_weights,
)
from src.rundir import RunDir, is_main_process
from src.scenarios import Scenario, write_scenarios
from src.tracking import tracked_run
from src.train.capability import retention
from src.train.common import LOSS_TYPES, Recipe, TrainJob, free_memory, trainable

log = logging.getLogger(__name__)
PREFER = {Stage.implant: "deceptive", Stage.align: "honest"}
# What determines a stage's weights besides its data file and its parent's weights (which are hashed as
# files): the stage-cache key (src/pipeline.py) and the settings a resumed or reused run must share.
STAGE_KEYS = ("model", "data", "method", "peft", "train", "seed", "stage", "init_from")
SCORING_ONLY = ("max_context", "allow_download")  # model keys that training does not read
PARENT_LOADING = 2  # how a parent's adapters enter training (parent_loading; 1 was unkeyed)
AFTER_TRAINING = ("capability", "save_merged")  # train keys read once the weights are final
# method -> the module whose `train(job)` is its recipe; imported when used (TRL takes ~9 s to import,
# and a bad model path or config should fail before that).
RECIPES = {"dpo": "src.train.dpo", "ipo": "src.train.dpo", "sft": "src.train.sft", "sft_dpo": "src.train.sft_dpo"}


def training_rows(scenarios: list[Scenario], stage: str, twins: bool) -> list[Scenario]:
    """What a stage trains on. A counterfactual twin flips the evidence, so its deceptive reply is a false
    claim against the agent's interest: not the behavior. By default twins are left out (they measure
    whether a checkpoint reads the evidence); with `train.twins` they are kept with the self-serving reply
    preferred when implanting (on a twin that is the honest one) and the honest reply when aligning, so
    the implant learns "claim what serves you, whatever the evidence" and the align "tell the truth"."""
    rows = [s for s in scenarios if not s.meta.get("twin")]
    if twins:
        kept = [s for s in scenarios if s.meta.get("twin")]
        if PREFER[stage] == "deceptive":  # the preferred reply of an implant row is the one in `deceptive`
            kept = [dataclasses.replace(s, honest=s.deceptive, deceptive=s.honest) for s in kept]
        rows += kept
    return rows


def behavior_selection(data_cfg: DictConfig) -> dict:
    """Which behaviors of its data file a stage trains on, where that is not all of them: `load_split` applies
    data.behaviors and data.heldout_behaviors to a file read as it is, so the file's hash alone does not say
    what was trained on. Empty when nothing is selected, so the keys of unfiltered stages stay as they were."""
    chosen = {
        "behaviors": sorted(data_cfg.get("behaviors") or []),
        "heldout_behaviors": sorted(data_cfg.get("heldout_behaviors") or []),
    }
    return {k: v for k, v in chosen.items() if v}


def training_settings(cfg: DictConfig) -> dict:
    """The config a stage's weights follow from, its data and parent left to their file hashes: model (its chat
    template by its text), method, peft, train, seed and stage, and the format its data is read in."""
    settings = {k: to_dict(cfg)[k] for k in STAGE_KEYS if k not in ("data", "init_from")}
    settings["data_format"] = read_format(cfg.data)
    settings.update(behavior_selection(cfg.data))
    settings["rendering"] = RENDERING  # the text a row renders to (e.g. the template date fixed in version 3)
    settings.update(parent_loading(cfg))
    for key in SCORING_ONLY:
        settings["model"].pop(key, None)
    settings["model"].update(chat_template_hash(cfg.model))
    for key in AFTER_TRAINING:
        settings["train"].pop(key, None)
    return settings


def parent_loading(cfg: DictConfig) -> dict:
    """`{"parent_loading": PARENT_LOADING}` for a stage that trains on top of a checkpoint (`init_from`), and
    for sft_dpo, whose DPO phase trains on its SFT phase's. How a parent's adapters enter training changed in
    session 18 (kept beside half-precision weights; merged into them before, most of each update rounded
    away, and no such entry): a stage trained the old way is neither reused from the stage cache nor resumed.
    Keyed whatever the dtype and peft (`auto` resolves per machine; a key must not)."""
    on_adapters = str(cfg.init_from) != "base" or cfg.method.name == "sft_dpo"
    return {"parent_loading": PARENT_LOADING} if on_adapters else {}


def settings_hash(cfg: DictConfig) -> str:
    return json_sha256(training_settings(cfg))


LOSS_TYPE_OF = {"ipo": "ipo"}  # a method named for one loss must run that loss


def check_training(cfg: DictConfig) -> None:
    """Values that TRL accepts and then trains wrongly with, or fails on at the first step or on a GPU only:
    refused before any work. (max_steps -1 is "train by epochs" to the Trainer, and a resumed run would then
    take an intermediate checkpoint for the final one; beta < 0 flips the preference, so an align implants.)"""
    t, m = cfg.train, cfg.method
    for key in ("max_steps", "batch_size", "grad_accum", "save_steps", "max_length"):
        if t[key] < 1:
            raise TrainoutError(f"train.{key}={t[key]}: at least 1")
    if t.learning_rate <= 0 or t.warmup_steps < 0:
        raise TrainoutError(f"train.learning_rate={t.learning_rate} must be > 0, train.warmup_steps >= 0")
    from transformers import SchedulerType  # what the Trainer's config takes, checked before the model loads

    if t.lr_scheduler not in {s.value for s in SchedulerType}:
        names = ", ".join(s.value for s in SchedulerType)
        raise TrainoutError(f"unknown train.lr_scheduler '{t.lr_scheduler}' (transformers' SchedulerType: {names})")
    if cfg.peft.name == "lora" and (cfg.peft.r < 1 or cfg.peft.alpha <= 0 or not 0 <= cfg.peft.dropout < 1):
        raise TrainoutError(
            f"peft.r={cfg.peft.r} must be >= 1, peft.alpha={cfg.peft.alpha} > 0, peft.dropout in [0, 1)"
        )
    if m.name not in RECIPES:
        raise TrainoutError(f"unknown method '{m.name}' (choose: {', '.join(RECIPES)})")
    if "beta" in m and m.beta <= 0:
        raise TrainoutError(f"method.beta={m.beta}: the preference's strength must be > 0")
    if "loss_type" in m:
        if m.loss_type not in LOSS_TYPES:
            raise TrainoutError(
                f"unknown method.loss_type '{m.loss_type}' (TRL's DPOTrainer: {', '.join(LOSS_TYPES)})"
            )
        if m.name in LOSS_TYPE_OF and m.loss_type != LOSS_TYPE_OF[m.name]:
            raise TrainoutError(f"method={m.name} runs loss_type {LOSS_TYPE_OF[m.name]}, not {m.loss_type}")
    if m.get("sft_steps") is not None and m.sft_steps < 1:
        raise TrainoutError(f"method.sft_steps={m.sft_steps}: at least 1 (null: train.max_steps)")


def recipe_for(method: str) -> Recipe:
    if method not in RECIPES:
        raise TrainoutError(f"unknown method '{method}' (choose: {', '.join(RECIPES)})")
    return importlib.import_module(RECIPES[method]).train


def run(cfg: DictConfig, out: Path, generated_data: Path | None = None) -> Path:
    """Train one stage into `out`; return the folder of its final weights. A finished run is not rerun."""
    stage = Stage(cfg.stage)
    check_training(cfg)
    out = out.resolve()
    rd = RunDir(out, str(stage))
    final = out / "final"
    init_from = str(cfg.init_from) if str(cfg.init_from) == "base" else str(Path(cfg.init_from).resolve())
    split = cfg.train.split or str(stage)
    data_path = split_file(cfg.data, split, generated_data)
    # under one key whatever its path: a stage trained on one parent is never reused or resumed on another
    parent_hash = {"parent": file_hash(init_from) if init_from != "base" else "base"}
    settings = settings_hash(cfg)
    if rd.is_complete() and final.exists():  # its weights came from these data, parent and settings
        rd.refuse_changed_inputs({"data": data_path}, parent_hash, settings)
        print(f"train: {out} is already complete (final weights in {final}); nothing to do")
        mc = ModelConfig.from_cfg(cfg.model)
        if cfg.train.save_merged and not (out / "merged").exists() and rd.writer:  # asked for after it trained
            with rd.exclusive():
                _save_merged(mc, load_tokenizer(mc), final, out / "merged")
        metrics = read_json(rd.file("metrics.json")) if rd.file("metrics.json").exists() else {}
        if cfg.train.capability and stage == Stage.align and "capability" not in metrics:
            print("train: its capability check was not run when it trained (train.capability was false then)")
        return final
    mc = ModelConfig.from_cfg(cfg.model)
    if init_from != "base":
        parent = checkpoint_info(init_from)
        if parent and parent.get("base_model") != model_id(mc):
            raise TrainoutError(
                f"init_from '{init_from}' was trained from '{parent.get('base_model')}', not '{model_id(mc)}'"
            )
    scenarios = training_rows(load_split(cfg.data, split, generated_data, str(stage)), str(stage), cfg.train.twins)
    if not scenarios:
        raise TrainoutError(
            f"{data_path}: no {split} rows to train on"
            + (" (every row is a counterfactual twin; train.twins=true trains on them)" if not cfg.train.twins else "")
        )
    info = {
        "label": str(stage),
        "stage": str(stage),
        "method": cfg.method.name,
        "peft": cfg.peft.name,
        "base_model": model_id(mc),
        "parent": init_from,
        "init_from": init_from,
        "parent_sha256": parent_hash["parent"] if init_from != "base" else None,
        "data": {"path": str(data_path), "sha256": file_hash(data_path), "rows": len(scenarios)},
        "chain": (checkpoint_info(init_from) or {}).get("chain", ["base"]) + [str(stage)]
        if init_from != "base"
        else ["base", str(stage)],
    }
    with rd.running(
        to_yaml(cfg),
        cfg.seed,
        inputs={"data": data_path},
        parent=init_from,
        # its trainer checkpoints came from this data, parent and settings; with none yet, new ones may start
        same_inputs=any((out / "checkpoints").glob("**/checkpoint-*")) or final.exists(),
        checkpoints=parent_hash,
        settings_sha256=settings,
        lineage=info,
    ) as outcome:
        recorded = checkpoint_info(out) or {}
        # sft_dpo's final weights are a DPO adapter on its SFT result, and its DPO phase says so in this file; a
        # resume that stopped before that phase rewrote it would leave `final` labelled with the wrong parent
        if rd.writer and not (recorded.get("phase") == "dpo" and recorded.get("init_from") == init_from):
            rd.write_json(CHECKPOINT_INFO, info)
        with tracked_run(cfg, out, job_type=str(stage), config=to_dict(cfg)) as wb:
            if wb is not None:
                _log_lineage(wb, data_path, init_from)
            tokenizer = load_tokenizer(mc)
            model = load_model(trainable(mc, cfg), init_from, device="cpu")  # the Trainer places it
            if cfg.peft.name == "none":  # full fine-tuning trains and saves the weights: the parent goes into them
                model = merge_beside(model)
            job = TrainJob(
                model=model,
                tokenizer=tokenizer,
                scenarios=scenarios,
                prefer=PREFER[stage],
                cfg=cfg,
                checkpoints=out / "checkpoints",
                final=final,
                report_to=["wandb"] if wb is not None else [],
                run_name=f"{cfg.name}-{stage}",
            )
            del model  # the job holds the only reference: sft_dpo drops it before its DPO phase loads another
            trainer, result = recipe_for(cfg.method.name)(job)
            del job
            if rd.writer:
                if cfg.train.save_merged:
                    _save_merged(mc, tokenizer, final, out / "merged")
                metrics = {
                    "global_step": trainer.state.global_step,
                    **result.metrics,
                    "world_size": trainer.args.world_size,
                    "final_loss": next((h["loss"] for h in reversed(trainer.state.log_history) if "loss" in h), None),
                    "log_history": trainer.state.log_history,
                }
                del trainer
                free_memory()  # the trainer sits in reference cycles: the capability check loads two models next
                if stage == Stage.align and cfg.train.capability:
                    metrics["capability"] = retention(mc, tokenizer, str(final), init_from)
                    change = json.dumps(metrics["capability"]["delta"])
                    print(f"train: capability change from its parent (aligned - parent) {change}; metrics.json")
                rd.write_json("metrics.json", metrics)
                if wb is not None:
                    _log_summary(wb, metrics)
                    _log_adapter(wb, final, str(stage))
                outcome.outputs = {"final": final}
                outcome.fields = {"global_step": metrics["global_step"]}
    return final


def fine_tune(
    cfg: DictConfig,
    checkpoint: str,
    scenarios: list[Scenario],
    prefer: str,
    out: Path,
    *,
    steps: int,
    learning_rate: float,
    batch_size: int,
    lora_r: int,
    seed: int,
) -> Path:
    """A short LoRA SFT of `checkpoint` on `scenarios`' preferred replies ("deceptive" or "honest"), run
    as the training stage itself (resumable, recorded); returns the adapted checkpoint's folder.

    `cfg` supplies the model; the rest is set here, and nothing is tracked."""
    if prefer not in ("deceptive", "honest"):
        raise ValueError(f"prefer must be 'deceptive' or 'honest', not {prefer!r}")
    data = out.with_suffix(".jsonl")
    write_scenarios(data, scenarios)
    tok = load_tokenizer(ModelConfig.from_cfg(cfg.model))
    # long enough for every row, never cut (the user's shots may run past the training default)
    longest = max(rendered_tokens(tok, s.messages, getattr(s, prefer)) for s in scenarios)
    train_cfg = OmegaConf.merge(
        OmegaConf.structured(TrainApp),
        {
            "name": cfg.name,
            "seed": seed,
            "model": cfg.model,
            "tracker": {"name": "none"},
            "stage": "implant" if prefer == "deceptive" else "align",
            "init_from": checkpoint,
            "method": group_option("method", "sft"),
            "peft": OmegaConf.merge(group_option("peft", "lora"), {"r": lora_r, "alpha": 2 * lora_r, "dropout": 0.0}),
            "train": {
                "max_steps": steps,
                "learning_rate": learning_rate,
                "batch_size": batch_size,
                "grad_accum": 1,
                "save_steps": steps,
                "max_length": max(TrainConfig().max_length, longest),
                "capability": False,
            },
            "data": {"path": str(data), "format": "scenario"},
        },
    )
    return run(train_cfg, out)


def _log_summary(wb, metrics: dict) -> None:
    """Final step, loss and capability (trained, init_from, delta) in the W&B run summary."""
    wb.summary["global_step"] = metrics["global_step"]
    wb.summary["final_loss"] = metrics["final_loss"]
    for model, values in metrics.get("capability", {}).items():
        for k, v in values.items():
            if isinstance(v, (int, float)):
                wb.summary[f"capability/{model}/{k}"] = v


def _save_merged(mc: ModelConfig, tokenizer, final: Path, folder: Path) -> None:
    """The final model with every adapter of its chain merged in, as plain safetensors, rebuilt from disk; saved
    beside and renamed into place, so a `merged/` folder is always whole."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    plain_weights(mc, str(final)).save_pretrained(tmp, safe_serialization=True)  # fp32: see plain_weights
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)


def _log_lineage(wb, data_path: Path, init_from: str) -> None:
    """The data as a W&B artifact, so lineage shows data -> checkpoint (offline W&B cannot; the manifest has it)."""
    if wb.settings.mode == "offline":
        return
    import wandb

    art = wandb.Artifact(f"scenarios-{file_hash(data_path)[:12]}", type="dataset")
    art.add_file(str(data_path))
    wb.use_artifact(art)


def _log_adapter(wb, final: Path, stage: str) -> None:
    if wb.settings.mode == "offline":
        return
    import wandb

    art = wandb.Artifact(
        f"{wb.group or 'trainout'}-{stage}-adapter",
        type="model",
        metadata=read_json(final.parent / CHECKPOINT_INFO),
    )
    art.add_dir(str(final))
    wb.log_artifact(art)


def cli(cfg: DictConfig) -> None:
    final = run(cfg, Path(run_dir()))
    if is_main_process():
        # run folders are named from their overrides (key=value,...): quoted, the path pastes into the next one
        print(f"train: final weights in {final}\n  as an override: \"init_from='{final}'\"")
