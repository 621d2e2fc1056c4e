"""SFT then DPO in one run (the usual alignment recipe): SFT on the preferred reply, then DPO starting from,
and referenced to, the SFT model.

Each phase is a TRL trainer with its own checkpoints: `checkpoints/sft/` (final weights in
`checkpoints/sft/final/`), then `checkpoints/dpo/` (final weights in the run's `final/`). A phase whose
final weights exist is skipped, so a killed run resumes in whichever phase it was. The DPO phase starts
from the SFT result added to the model (src.models.load_model: merged in fp32, beside bf16 weights), so
under LoRA a fresh adapter trains and the reference (that adapter disabled) is the SFT model. A
`trainout_checkpoint.json` in each phase folder records its parent, which is how load_model rebuilds any
checkpoint of either phase.
"""

from __future__ import annotations

from dataclasses import replace

from omegaconf import OmegaConf
from transformers import TrainerState

from src.io import file_hash
from src.models import CHECKPOINT_INFO, ModelConfig, checkpoint_info, load_model
from src.rundir import RunDir, is_main_process
from src.train import dpo, sft
from src.train.common import TrainJob, free_memory, last_checkpoint, phase_logger, trainable


def train(job: TrainJob):
    """Returns (DPO trainer, its TrainOutput); final weights in `job.final`."""
    out = job.final.parent
    sft_dir, dpo_dir = job.checkpoints / "sft", job.checkpoints / "dpo"
    run_info = checkpoint_info(out) or {}  # written by the train stage: parent = the run's init_from
    if run_info.get("phase") == "dpo":  # resumed in the DPO phase: `out` holds that phase's record (parent: the
        # SFT result); the run's own is the SFT phase's copy, else rebuilt from the run's init_from
        mine = {k: v for k, v in run_info.items() if k not in ("phase", "step_offset", "parent", "parent_sha256")}
        run_info = checkpoint_info(sft_dir) or {**mine, "parent": run_info.get("init_from", "base")}
    if is_main_process():
        RunDir(sft_dir, "sft").write_json(CHECKPOINT_INFO, {**run_info, "phase": "sft", "step_offset": 0})

    steps = job.cfg.method.sft_steps or job.cfg.train.max_steps
    if not (sft_dir / "final").exists():
        sft_trainer, _ = sft.train(
            replace(
                job,
                cfg=OmegaConf.merge(job.cfg, {"train": {"max_steps": steps}}),
                checkpoints=sft_dir,
                final=sft_dir / "final",
                run_name=f"{job.run_name}-sft",
                # its loss as sft/loss on its own axis: the run's train/* axis is the DPO phase's
                report_to=[],
                callbacks=[phase_logger("sft")] if "wandb" in job.report_to else [],
            )
        )
        state = sft_trainer.state
        del sft_trainer
    else:
        print(f"train: SFT phase already done ({sft_dir / 'final'})")
        last = last_checkpoint(sft_dir)  # killed between `final` and its record: the last checkpoint's state
        done = (sft_dir / "metrics.json").exists() or last is None
        state = None if done else TrainerState.load_from_json(str(last / "trainer_state.json"))
    if is_main_process() and state is not None:  # the run's metrics.json holds the DPO phase's history; this,
        metrics = {"global_step": state.global_step, "log_history": state.log_history}  # the SFT phase's
        RunDir(sft_dir, "sft").write_json("metrics.json", metrics)
    job.model = None  # in place: the caller's job holds the same object, and the SFT model must go before DPO's loads
    job = replace(job)
    free_memory()
    if is_main_process():  # the DPO checkpoints and the run's final weights apply on top of the SFT result
        dpo_info = {
            **run_info,
            "phase": "dpo",
            "parent": str(sft_dir / "final"),
            "parent_sha256": file_hash(sft_dir / "final"),
            "step_offset": steps,  # DPO step n is step steps + n of the alignment run (src.models.checkpoint_step)
        }
        RunDir(dpo_dir, "dpo").write_json(CHECKPOINT_INFO, dpo_info)
        RunDir(out, "dpo").write_json(CHECKPOINT_INFO, dpo_info)

    mc = trainable(ModelConfig.from_cfg(job.cfg.model), job.cfg)
    model = load_model(mc, str(sft_dir / "final"), device="cpu")
    return dpo.train(replace(job, model=model, checkpoints=dpo_dir, run_name=f"{job.run_name}-dpo"))
