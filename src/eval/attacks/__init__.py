"""The attack registry: name (as in `attack=<name>`) -> attack. The protocols are in base.py."""

from __future__ import annotations

from src import TrainoutError
from src.eval.attacks import finetune, many_shot, none, persona, prefill, pressure
from src.eval.attacks.base import Attack, ModelAttack

ATTACKS: dict[str, Attack] = {m.ATTACK.name: m.ATTACK for m in (many_shot, persona, pressure, prefill, none, finetune)}


def get_attack(name: str) -> Attack:
    if name not in ATTACKS:
        raise TrainoutError(f"unknown attack '{name}' (known: {', '.join(ATTACKS)})")
    return ATTACKS[name]


__all__ = ["ATTACKS", "Attack", "ModelAttack", "get_attack"]
