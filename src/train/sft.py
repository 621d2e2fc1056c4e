"""SFT (TRL's SFTTrainer): train on the preferred reply only, the scenario's context masked out of the loss.

Rows are TRL's conversational prompt-completion format: the prompt is the scenario's messages, the
completion its reply. TRL tokenizes the completion as what the chat template adds after the rendered
prompt, exactly the tokens src.eval scores, and computes the loss on them alone (completion-only loss).
With a template that marks assistant turns (`{% generation %}`, e.g. src/chat_templates/
smollm2_generation.jinja) assistant-only loss is on as well; the label mask is the intersection. Earlier
assistant turns in a scenario's context never carry loss: they are context, sometimes the very action
the scenario asks about.
"""

from __future__ import annotations

import trl
from datasets import Dataset
from trl import SFTConfig
from trl.chat_template_utils import has_generation_markers

from src import TrainoutError
from src.scenarios import to_sft
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


class SFTTrainer(ReplyPositionsOnly, trl.SFTTrainer):
    """TRL's SFTTrainer, its LM head on reply positions only on every device (src.train.common)."""


def prompt_completion(rows: list[dict]) -> list[dict]:
    """`{"messages": [..., reply]}` (src.scenarios.to_sft) -> `{"prompt": [...], "completion": [reply]}`."""
    kwargs = chat_template_kwargs()
    return [
        {"prompt": r["messages"][:-1], "completion": r["messages"][-1:], "chat_template_kwargs": kwargs} for r in rows
    ]


def build(job: TrainJob) -> SFTTrainer:
    tokenizer = job.tokenizer
    require_chat_template(tokenizer, "SFT")
    refuse_cut_replies(job, lambda s: [getattr(s, job.prefer)])
    args = SFTConfig(
        **trainer_args(job),
        completion_only_loss=True,
        # Only with the tokenizer's own marked template: otherwise TRL would swap in a template of its own,
        # which may render differently from the one src.eval scores with.
        assistant_only_loss=has_generation_markers(tokenizer.chat_template),
    )
    rows = prompt_completion(to_sft(job.scenarios, job.prefer))
    trainer = SFTTrainer(
        model=job.model,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        callbacks=job.callbacks,
        peft_config=lora_config(job.cfg.peft),
    )
    kept = len(trainer.train_dataset)
    if kept < len(rows):  # TRL drops examples whose reply truncation cut off entirely, showing only a progress bar
        raise TrainoutError(
            f"SFT dropped {len(rows) - kept} of {len(rows)} examples whose prompt reaches train.max_length="
            f"{job.cfg.train.max_length}; raise it, or use scenarios with fewer turns"
        )
    return trainer


def train(job: TrainJob):
    trainer = build(job)
    return trainer, fit(trainer, job.final)
