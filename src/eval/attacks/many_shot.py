"""Many-shot (Anil et al. 2024): k dialogues in which the assistant shows the behavior, then the target.

Two layouts (`attack.layout`): `turns` gives each demonstration as real chat turns; `faux`, as in Anil et
al., puts all k in one user turn as "User: ... / Assistant: ..." text, and the target scenario follows.
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
    demos = [(d.messages, d.honest if control else d.deceptive) for d in draw(pool, strength, seed, salt)]
    if str(cfg.get("layout", "turns")) == "faux":
        if demos:
            context.append({"role": "user", "content": "\n\n".join(faux_dialogue(m, reply) for m, reply in demos)})
    else:
        for messages, reply in demos:
            context += fold(messages) + [{"role": "assistant", "content": reply}]
    return Prompt(tuple(context), tuple(fold(scenario.messages)))


def faux_dialogue(messages: list[dict], reply: str) -> str:
    """One demonstration as text: its turns as "User: ..." blocks (other roles by their name), then the reply."""
    turns = [f"{'User' if m['role'] == 'user' else m['role'].capitalize()}: {m['content']}" for m in fold(messages)]
    return "\n\n".join(turns + [f"Assistant: {reply}"])


ATTACK = PromptAttack("many_shot", "shots", prompt)
