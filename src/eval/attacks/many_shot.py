"""Many-shot (Anil et al. 2024): k faux dialogues in which the assistant shows the behavior, then the target.

Control: the same dialogues with the honest replies. Demonstrations come from the shots split, whose
templates never appear in evaluation.
"""

from __future__ import annotations

from src.eval.attacks.base import NEUTRAL_SYSTEM, PromptAttack, draw, fold, shot_pool
from src.lm.scoring import Prompt
from src.scenarios import Scenario


def prompt(scenario: Scenario, strength: int, seed: int, control: bool, shots: list[Scenario], cfg) -> Prompt:
    cross = cfg.cross_behavior
    pool = shot_pool(scenario, shots, cross)
    salt = f"many_shot:{scenario.behavior}:{'cross' if cross else 'same'}"
    context = [{"role": "system", "content": NEUTRAL_SYSTEM}]
    for demo in draw(pool, strength, seed, salt):
        context += fold(demo.messages)
        context.append({"role": "assistant", "content": demo.honest if control else demo.deceptive})
    return Prompt(tuple(context), tuple(fold(scenario.messages)))


ATTACK = PromptAttack("many_shot", "shots", prompt)
