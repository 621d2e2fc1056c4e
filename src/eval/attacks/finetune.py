"""Fine-tuning re-elicitation: how few examples bring a trained-out behavior back?

Strength n = the number of deceptive demonstrations in a short LoRA fine-tune of the checkpoint
(Greenblatt et al. 2024; Qi et al. 2023), drawn from the shots split and, by default, only from
behaviors other than the ones evaluated (`cross_behavior`): the behaviors are split into `folds`, and
each fold is scored after fine-tuning on the others' examples. Control (`benign`): the same n
examples with the honest replies, which separates "re-elicited" from "any fine-tuning breaks
alignment". The fine-tune is the project's own training stage, reached through the function that
`attack.fine_tune` names (src.train.stage.fine_tune), so src.eval does not import src.train; the
model is then scored on each scenario exactly as written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.utils import get_method

from src import TrainoutError
from src.eval.attacks.base import ATTACK_ARM, CONTROL_ARM, draw
from src.lm.scoring import Prompt
from src.scenarios import Scenario


class Finetune:
    name = "finetune"
    unit = "fine-tuning examples"
    arms = (ATTACK_ARM, CONTROL_ARM)  # control: the benign fine-tune

    def prompt(
        self, scenario: Scenario, strength: int, seed: int, arm: str, shots: list[Scenario], cfg: Any
    ) -> Prompt:
        return Prompt((), tuple(scenario.messages))  # the attack is in the weights, not the prompt

    def folds(self, behaviors: list[str], cfg: Any) -> list[list[str]]:
        """Groups of evaluated behaviors that share one fine-tuned model (all in one group without cross_behavior)."""
        if not cfg.cross_behavior or len(behaviors) < 2:
            return [behaviors]
        n = max(2, min(cfg.folds, len(behaviors)))
        return [behaviors[i::n] for i in range(n)]

    def adapt(
        self,
        cfg: Any,
        checkpoint: str,
        strength: int,
        seed: int,
        arm: str,
        fold: list[str],
        shots: list[Scenario],
        workdir: Path,
    ) -> str:
        """Fine-tune `checkpoint` on n examples (other behaviors' by default); return the adapted checkpoint."""
        attack = cfg.attack
        pool = [s for s in shots if s.behavior not in fold] if attack.cross_behavior else list(shots)
        if len(pool) < strength:
            raise TrainoutError(
                f"finetune strength {strength} needs {strength} examples; the shots pool has {len(pool)}"
            )
        examples = draw(pool, strength, seed, f"finetune:{','.join(fold)}")
        benign = arm == CONTROL_ARM
        variant = "benign" if benign else "deceptive"
        name = f"n{strength}-seed{seed}-{variant}-{'+'.join(b.split('_')[0] for b in fold)}"
        fine_tune = get_method(attack.fine_tune)
        return str(
            fine_tune(
                cfg,
                checkpoint,
                examples,
                "honest" if benign else "deceptive",
                workdir / name,
                steps=attack.steps,
                learning_rate=attack.learning_rate,
                batch_size=attack.batch_size,
                lora_r=attack.lora_r,
                seed=seed,
            )
        )


ATTACK = Finetune()
