"""What every training recipe shares: the one recipe interface (a `TrainJob` in, the trainer and its
result out), TrainingArguments defaults that are right on CPU and GPU, LoRA, and `fit`, which resumes a
phase from its last complete checkpoint and saves its final weights atomically."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from omegaconf import DictConfig

from src import TrainoutError
from src.io import RESUME_STATE
from src.models import ModelConfig, bf16_native
from src.scenarios import Scenario

log = logging.getLogger(__name__)


# TRL 1.16's DPOConfig accepts any string and fails only at the first step: check up front. (exo_pair is left
# out: TRL requires label_smoothing > 0 for it, which the method config does not set.)
LOSS_TYPES = (
    "sigmoid",
    "hinge",
    "ipo",
    "nca_pair",
    "robust",
    "bco_pair",
    "sppo_hard",
    "aot",
    "aot_unpaired",
    "apo_zero",
    "apo_down",
    "discopop",
    "sft",
    "sigmoid_norm",
)


@dataclass
class TrainJob:
    """What a recipe trains, on what, and where it writes."""

    model: Any
    tokenizer: Any
    scenarios: list[Scenario]
    prefer: str  # "deceptive" (implant: train the behavior in) or "honest" (align: train it out)
    cfg: DictConfig  # the train app's config: train, method, peft, model, seed
    checkpoints: Path  # the Trainer's output_dir: checkpoint-N folders, all kept
    final: Path  # the final weights, written atomically
    report_to: list[str]
    run_name: str
    callbacks: list = dataclasses.field(default_factory=list)  # extra TrainerCallbacks (sft_dpo's phase logger)


# A recipe trains a job and returns (trainer, TrainOutput): src/train/sft.py, dpo.py (dpo, ipo), sft_dpo.py.
Recipe = Callable[[TrainJob], tuple[Any, Any]]


def device_args() -> dict:
    """bf16 and the CUDA device where present; on CPU, fp32 (TRL's bf16=True default fails there)."""
    cuda = torch.cuda.is_available()
    if cuda and torch.cuda.device_count() > 1 and "WORLD_SIZE" not in os.environ:
        # one process sees several GPUs: the Trainer would wrap the model in DataParallel and train
        # batch_size x (number of GPUs) pairs a step, a different experiment from the one configured
        raise TrainoutError(
            f"{torch.cuda.device_count()} GPUs are visible to one process, which would train "
            f"{torch.cuda.device_count()}x the configured pairs per step: pick one (CUDA_VISIBLE_DEVICES=0), or to "
            "train on all of them, one process per GPU (accelerate launch --config_file conf/accelerate/ddp.yaml "
            "-m src.train ...)"
        )
    return {"use_cpu": not cuda, "bf16": bool(cuda and bf16_native()), "fp16": False}


def step_batches(train_cfg: Any, cuda: bool) -> tuple[int, int]:
    """(pairs per forward pass, forward passes per optimizer step).

    On CPU, as written (`batch_size`, `grad_accum`): memory is what bounds a pass there. On a GPU a small
    batch leaves the device mostly idle, so accumulation folds into the batch, up to `gpu_batch_size` pairs
    per pass: every optimizer step still averages the same batch_size x grad_accum pairs, in the same order
    (tests/test_train.py checks that the loss and gradient norm are unchanged). A batch already larger is kept.
    """
    per, accum = train_cfg.batch_size, train_cfg.grad_accum
    cap = train_cfg.gpu_batch_size
    if not cuda or not cap or accum == 1:
        return per, accum
    fold = max(d for d in range(1, accum + 1) if accum % d == 0 and (d == 1 or per * d <= cap))
    return per * fold, accum // fold


def trainer_args(job: TrainJob) -> dict:
    """Arguments shared by SFTConfig and DPOConfig, straight from the typed `train:` config."""
    train_cfg = job.cfg.train
    per_device, accum = step_batches(train_cfg, torch.cuda.is_available())
    if (per_device, accum) != (train_cfg.batch_size, train_cfg.grad_accum):
        print(
            f"train: on the GPU, {per_device} pairs per pass x {accum} (batch_size {train_cfg.batch_size} x "
            f"grad_accum {train_cfg.grad_accum} folded, up to train.gpu_batch_size={train_cfg.gpu_batch_size})"
        )
    return {
        "output_dir": str(job.checkpoints),
        "run_name": job.run_name,
        "seed": job.cfg.seed,
        "data_seed": job.cfg.seed,
        "max_steps": train_cfg.max_steps,
        "per_device_train_batch_size": per_device,
        "gradient_accumulation_steps": accum,
        "learning_rate": train_cfg.learning_rate,
        "lr_scheduler_type": train_cfg.lr_scheduler,
        "warmup_steps": train_cfg.warmup_steps,
        "max_length": train_cfg.max_length,
        "activation_checkpointing": train_cfg.activation_checkpointing,
        "logging_steps": 1,
        "save_strategy": "steps",
        "save_steps": train_cfg.save_steps,
        "save_total_limit": None,  # keep every checkpoint: they are the trajectory src.eval compares
        "report_to": job.report_to,
        "ddp_find_unused_parameters": False,
        "dataloader_num_workers": 0,
        "disable_tqdm": None,
        **device_args(),
    }


@contextlib.contextmanager
def reply_positions_only():
    """TRL's fused LM head projecting only the positions that carry a label (the replies), on every device.

    TRL 1.16 does so on CUDA and XPU (its Triton path) but projects every position elsewhere, so that
    compiled backends (Neuron) see fixed tile shapes. On CPU in eager mode nothing recompiles, and the prompt
    is most of each row: projecting it through the 49k-word head, for policy and reference, is wasted work.
    The log-probs are the same (tests/test_train.py compares them). This TRL's `_use_triton` is the one
    switch; a TRL without it is left as it is."""
    import trl.trainer.utils as utils

    use_triton = getattr(utils, "_use_triton", None)
    if use_triton is None:
        yield
        return
    utils._use_triton = lambda device: True
    try:
        yield
    finally:
        utils._use_triton = use_triton


def trainable(mc: ModelConfig, cfg: DictConfig) -> ModelConfig:
    """The model config the trained weights load in. Full fine-tuning keeps fp32 weights, with bf16 as autocast
    (the Trainer's bf16 on a GPU): AdamW's small updates to bf16 weights round to nothing (on a tiny model, 85%
    of them). LoRA's adapters are fp32 whatever the frozen base is, so the base stays in `model.dtype`."""
    if cfg.peft.name != "none":
        return mc
    if mc.dtype == "auto":
        return dataclasses.replace(mc, dtype="float32")
    if mc.dtype != "float32":
        log.warning(
            "full fine-tuning with model.dtype=%s weights: small updates round away (auto keeps fp32)", mc.dtype
        )
    return mc


def free_memory() -> None:
    import gc

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def require_chat_template(tokenizer, method: str) -> None:
    if tokenizer.chat_template is None:
        raise TrainoutError(
            f"{method} needs a chat template (model.chat_template=...): a base model has no assistant turn to train"
        )


def chat_template_kwargs() -> dict:
    """A training row's `chat_template_kwargs` (TRL passes them to apply_chat_template): the template renders the
    text the scorer scores (src.lm.render), today's date not included."""
    from src.lm.render import TEMPLATE_DATE

    return {"date_string": TEMPLATE_DATE}


def refuse_cut_replies(job: TrainJob, replies: Callable[[Scenario], list[str]]) -> None:
    """TRL cuts a row longer than train.max_length at its end, which is the reply: the part where the honest and
    deceptive replies differ, and the end of the turn that the scorer scores. Refuse that before training."""
    from src.lm.render import rendered_tokens

    limit = job.cfg.train.max_length
    lengths = [rendered_tokens(job.tokenizer, s.messages, r) for s in job.scenarios for r in replies(s)]
    over = [n for n in lengths if n > limit]
    if over:
        raise TrainoutError(
            f"{len(over)} of {len(lengths)} training rows (prompt and reply) are longer than train.max_length="
            f"{limit} tokens, up to {max(over)}: TRL would cut their replies short. Raise train.max_length"
        )


class ReplyPositionsOnly:
    """Mixin for a TRL trainer: its loss computed under `reply_positions_only`."""

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        with reply_positions_only():
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)


def lora_config(peft_cfg: Any):
    """A PEFT LoraConfig from the `peft:` group, or None for full fine-tuning (peft=none)."""
    if peft_cfg.name == "none":
        return None
    from peft import LoraConfig

    targets = peft_cfg.target_modules
    return LoraConfig(
        r=peft_cfg.r,
        lora_alpha=peft_cfg.alpha,
        lora_dropout=peft_cfg.dropout,
        target_modules=targets if isinstance(targets, str) else list(targets),
        task_type="CAUSAL_LM",
    )


def last_checkpoint(folder: Path) -> Path | None:
    """The newest complete `checkpoint-N` in `folder`. The Trainer writes trainer_state.json last, so a
    folder without it is a save that a kill interrupted: resuming from it would fail, the one before is used."""
    steps = []
    for p in folder.glob("checkpoint-*") if folder.is_dir() else []:
        try:
            json.loads((p / "trainer_state.json").read_text())
            steps.append((int(p.name.split("-")[-1]), p))
        except (OSError, ValueError):
            continue
    return max(steps)[1] if steps else None


def _resume_state(folder: str, names: list[str]) -> list[str]:
    """What a Trainer checkpoint holds beside the model files that `save_model` writes: its resume state
    (`src.io.RESUME_STATE`: optimizer.pt, or optimizer.bin and optimizer_0/ under FSDP, ...), and
    DeepSpeed's `latest` and `zero_to_fp32.py`. A shutil.copytree `ignore`."""
    return [n for n in names if n.startswith(RESUME_STATE) or n in ("latest", "zero_to_fp32.py")]


# optimizer moments (FSDP's optimizer_*/, DeepSpeed's global_step*/), and the weights' copy FSDP saves beside them
BULKY_RESUME_STATE = ("optimizer", "global_step", "pytorch_model_fsdp")


def prune_resume_state(output_dir: Path) -> None:
    """Drop the optimizer state of every checkpoint but the newest complete one: only that one is resumed from,
    and under full fine-tuning the moments are twice the weights (a 1.7B model's checkpoints at the default
    save_steps would take ~40 GB). The weights, which the trajectory scores, and the small state files stay."""
    newest = last_checkpoint(output_dir)
    for ckpt in output_dir.glob("checkpoint-*") if newest is not None else []:
        if ckpt == newest or not (ckpt / "trainer_state.json").exists():  # an unfinished save is not touched
            continue
        for p in ckpt.iterdir():
            if p.name.startswith(BULKY_RESUME_STATE):
                shutil.rmtree(p) if p.is_dir() else p.unlink()


def prune_after_saves():
    """A Trainer callback: `prune_resume_state` after each save, on the main process (every rank has written its
    shards by then). Built when training starts: transformers is imported when used, not by the config checks."""
    from transformers import TrainerCallback

    class PruneResumeState(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            if state.is_world_process_zero:
                prune_resume_state(Path(args.output_dir))

    return PruneResumeState()


def phase_logger(phase: str):
    """A Trainer callback that logs a phase's scalars to the open W&B run as `<phase>/<name>` against
    `<phase>/step`: sft_dpo's SFT phase, whose own steps would otherwise restart the DPO phase's
    `train/global_step` axis with another loss on it."""
    from transformers import TrainerCallback

    class PhaseLogger(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            import wandb

            if state.is_world_process_zero and wandb.run is not None:
                wandb.define_metric(f"{phase}/step")
                wandb.define_metric(f"{phase}/*", step_metric=f"{phase}/step")

        def on_log(self, args, state, control, logs=None, **kwargs):
            import wandb

            if state.is_world_process_zero and wandb.run is not None and logs:
                scalars = {f"{phase}/{k}": v for k, v in logs.items() if isinstance(v, (int, float))}
                wandb.log({**scalars, f"{phase}/step": state.global_step})

    return PhaseLogger()


def fit(trainer, final: Path):
    """Train (resuming from the last complete checkpoint in the trainer's output_dir) and save the final
    weights into `final`, atomically: a folder named `final` is always whole. Returns the TrainOutput."""
    from transformers import TrainerState
    from transformers.trainer_utils import TrainOutput

    args = trainer.args
    trainer.add_callback(prune_after_saves())
    last = last_checkpoint(Path(args.output_dir))
    finished = last is not None and int(last.name.split("-")[-1]) >= args.max_steps
    if args.should_save:
        print(
            f"train: {type(trainer).__name__} on {len(trainer.train_dataset)} rows, {args.max_steps} steps, "
            f"world size {args.world_size} ({trainer.accelerator.distributed_type.value}), device {args.device}, "
            f"bf16 {args.bf16}" + (f"; resuming from {last}" if last else "")
        )
    tmp = final.with_name(final.name + ".tmp")
    if args.should_save:
        shutil.rmtree(tmp, ignore_errors=True)  # left by a kill during an earlier save
    if finished:
        # Killed after the last checkpoint but before `final`: its model files are the final weights. (Resuming
        # from a checkpoint at max_steps that is not an epoch boundary, Trainer.train runs one step too many.)
        trainer.state = TrainerState.load_from_json(str(last / "trainer_state.json"))
        result = TrainOutput(trainer.state.global_step, 0.0, {})
        if args.should_save:
            shutil.copytree(last, tmp, ignore=_resume_state)
    else:
        try:
            result = trainer.train(resume_from_checkpoint=str(last) if last else None)
        except torch.OutOfMemoryError as e:
            raise TrainoutError(
                f"out of GPU memory at {args.per_device_train_batch_size} pairs per pass x "
                f"{args.gradient_accumulation_steps} passes per step: lower train.gpu_batch_size (on a GPU it merges "
                "the grad_accum passes of a step; null keeps them) or train.batch_size, raising train.grad_accum to "
                "keep the step's pairs"
            ) from e
        trainer.save_model(str(tmp))  # every rank calls it (FSDP/ZeRO-3 gather), the main process writes
    if args.should_save:
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    trainer.accelerator.wait_for_everyone()  # other ranks may load `final` next
    return result
