"""Fine-tuning re-elicitation: how few examples bring a trained-out behavior back?

Strength n = the number of deceptive demonstrations in a short LoRA fine-tune of the checkpoint
(Greenblatt et al. 2024; Qi et al. 2023), drawn from the shots split. The evaluated behaviors are split
into `folds`, and each fold is scored after its own fine-tune on examples of
- the other folds' behaviors (cross-fold, `cross_behavior=true`, the default): does deception learned
  elsewhere bring these behaviors back?
- the fold's own behaviors (in-fold, `cross_behavior=false`): the stronger test, with the same folds, n,
  steps and seeds, so the two differ only in where the examples come from.
Control (`benign`): the same n examples with the honest replies, which separates "re-elicited" from
"any fine-tuning breaks alignment". The fine-tune is the project's own training stage, reached through
the function that `attack.fine_tune` names (src.train.stage.fine_tune), so src.eval does not import
src.train; the model is then scored on each scenario exactly as written.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from hydra.utils import get_method

from src import TrainoutError
from src.eval.attacks.base import ATTACK_ARM, CONTROL_ARM, draw
from src.lm.request import Prompt
from src.scenarios import Scenario


class Finetune:
    name = "finetune"
    unit = "fine-tuning examples"
    arms = (ATTACK_ARM, CONTROL_ARM)  # control: the benign fine-tune
    version = 1
    draws_shots = True

    def prompt(
        self, scenario: Scenario, strength: int, seed: int, arm: str, shots: list[Scenario], cfg: Any, length=len
    ) -> Prompt:
        return Prompt((), tuple(scenario.messages))  # the attack is in the weights, not the prompt

    def folds(self, behaviors: list[str], cfg: Any) -> list[list[str]]:
        """Groups of evaluated behaviors that share one fine-tuned model: `folds` of them, in-fold or cross-fold
        alike (a cross-fold tune needs at least two)."""
        n = min(max(cfg.folds, 2 if cfg.cross_behavior else 1), len(behaviors))
        return [behaviors[i::n] for i in range(n)] if n > 1 else [behaviors]

    @staticmethod
    def pool(shots: list[Scenario], fold: list[str], cross_behavior: bool) -> list[Scenario]:
        """The examples a fold's fine-tune draws from: other behaviors' (cross-fold) or its own (in-fold; all
        of the shots when none is of the fold's behaviors, e.g. external eval data)."""
        if cross_behavior:
            return [s for s in shots if s.behavior not in fold]
        return [s for s in shots if s.behavior in fold] or list(shots)

    @staticmethod
    def fold_name(fold: list[str]) -> str:
        """Readable and unique: behaviors' first words, then a hash of the whole names (deceive_auditor and
        deceive_overseer in two folds get two folders, so one fold never reuses the other's fine-tune)."""
        return f"{'+'.join(b.split('_')[0] for b in fold)}-{hashlib.sha256(','.join(fold).encode()).hexdigest()[:8]}"

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
        """Fine-tune `checkpoint` on n examples (other folds' by default); return the adapted checkpoint."""
        attack = cfg.attack
        where = "cross" if attack.cross_behavior else "in"
        pool = self.pool(shots, fold, attack.cross_behavior)
        if len(pool) < strength:
            raise TrainoutError(
                f"finetune strength {strength} needs {strength} examples; the {where}-fold shots pool for "
                f"{', '.join(fold)} has {len(pool)}"
            )
        examples = draw(pool, strength, seed, f"finetune:{','.join(fold)}")
        benign = arm == CONTROL_ARM
        variant = "benign" if benign else "deceptive"
        name = f"n{strength}-seed{seed}-{variant}-{where}-{self.fold_name(fold)}"
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
