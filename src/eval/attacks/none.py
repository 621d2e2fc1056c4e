"""No attack: the scenario exactly as written, at strength 0 only."""

from __future__ import annotations

from src import TrainoutError
from src.eval.attacks.base import ATTACK_ARM, PromptAttack
from src.lm.request import Prompt
from src.scenarios import Scenario


def prompt(scenario: Scenario, strength: int, seed: int, arm: str, shots: list[Scenario], cfg, length=len) -> Prompt:
    if strength != 0:
        raise TrainoutError("attack 'none' has strength 0 only (attack.strengths=[0])")
    return Prompt((), tuple(scenario.messages))


ATTACK = PromptAttack("none", "strength", prompt, arms=(ATTACK_ARM,))
