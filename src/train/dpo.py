"""DPO and IPO (TRL's DPOTrainer): the chosen reply is honest when aligning, deceptive when implanting.

`method=dpo` is the sigmoid loss (Rafailov et al. 2023), `method=ipo` the IPO loss (Azar et al. 2023);
both are `loss_type` of the same trainer.
"""

from __future__ import annotations

import copy

import trl
from datasets import Dataset
from trl import DPOConfig

from src import TrainoutError
from src.scenarios import to_preference
from src.train.common import (
    ReplyPositionsOnly,
    TrainJob,
    chat_template_kwargs,
    fit,
    lora_config,
    refuse_cut_replies,
    require_chat_template,
    trainer_args,
)


class DPOTrainer(ReplyPositionsOnly, trl.DPOTrainer):
    """TRL's DPOTrainer, its LM head on reply positions only on every device (src.train.common)."""


def build(job: TrainJob) -> DPOTrainer:
    method = job.cfg.method
    require_chat_template(job.tokenizer, "DPO")
    refuse_cut_replies(job, lambda s: [s.honest, s.deceptive])
    args = DPOConfig(**trainer_args(job), beta=method.beta, loss_type=[method.loss_type])
    rows = [{**r, "chat_template_kwargs": chat_template_kwargs()} for r in to_preference(job.scenarios, job.prefer)]
    peft = lora_config(job.cfg.peft)
    # With LoRA the reference is the model with adapters disabled. Without, pass an explicit copy: TRL would
    # otherwise reload `config._name_or_path`, which for a merged implant checkpoint is the wrong (base) model.
    ref = copy.deepcopy(job.model).requires_grad_(False) if peft is None else None
    trainer = DPOTrainer(
        model=job.model,
        ref_model=ref,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=job.tokenizer,
        callbacks=job.callbacks,
        peft_config=peft,
    )
    kept = len(trainer.train_dataset)
    if kept < len(rows):  # TRL drops pairs whose prompt fills max_length, showing only a progress bar
        raise TrainoutError(
            f"DPO dropped {len(rows) - kept} of {len(rows)} pairs whose prompt reaches train.max_length="
            f"{job.cfg.train.max_length}; raise it, or use scenarios with fewer turns"
        )
    return trainer


def train(job: TrainJob):
    trainer = build(job)
    return trainer, fit(trainer, job.final)
