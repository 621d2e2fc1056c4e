"""Seeded, deterministic scenario generation and template-disjoint splits.

Every random choice is drawn from `random.Random` seeded with a string naming the seed and the
thing drawn, so one template's scenarios never depend on which other templates exist.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

from src import TrainoutError
from src.data.pools import POOLS
from src.data.template import Template
from src.data.templates import TEMPLATES
from src.scenarios import Scenario

GENERATOR_VERSION = "1"
SPLITS = ("implant", "align", "eval", "shots")


@dataclass
class GenerateConfig:
    seed: int = 0
    preset: str = "short"  # short (CPU demos) | full (adds detail turns)
    behaviors: list[str] | None = None  # None = all behaviors that have templates
    scenarios_per_template: int = 8
    per_split: dict[str, int] = field(default_factory=dict)  # split -> scenarios per template, overriding the above
    split_templates: dict[str, int] = field(default_factory=lambda: {s: 2 for s in SPLITS})
    heldout_behaviors: list[str] = field(default_factory=list)  # never aligned on, still evaluated


def _slots(t: Template) -> list[str]:
    texts = [t.system, t.honest, t.deceptive] + [c for _, c in t.turns + t.detail]
    names = []
    for text in texts:
        for _, name, _, _ in string.Formatter().parse(text):
            if name and name not in names:
                names.append(name)
    return names


def fill(t: Template, rng: random.Random, preset: str) -> tuple[list[dict], str, str, dict]:
    """Render one scenario of a template: (messages, honest, deceptive, slot values)."""
    values = {}
    for name in _slots(t):
        pool = t.extra_slots.get(name) or POOLS.get(name)
        if pool is None:
            raise TrainoutError(f"template '{t.name}' uses slot '{{{name}}}' that no pool defines")
        values[name] = rng.choice(pool)
    turns = list(t.turns)
    if preset == "full":
        turns = turns[:-1] + list(t.detail) + turns[-1:]
    elif preset != "short":
        raise TrainoutError(f"unknown data.preset '{preset}' (choose short or full)")
    messages = [{"role": "system", "content": t.system.format(**values)}]
    messages += [{"role": role, "content": text.format(**values)} for role, text in turns]
    return messages, t.honest.format(**values), t.deceptive.format(**values), values


def assign_splits(templates: list[Template], cfg: GenerateConfig) -> dict[str, str]:
    """Template name -> split, by template (never by row), seeded and balanced per behavior."""
    counts = {s: int(cfg.split_templates.get(s, 0)) for s in SPLITS}
    out = {}
    by_behavior: dict[str, list[Template]] = {}
    for t in templates:
        by_behavior.setdefault(t.behavior, []).append(t)
    for behavior, ts in sorted(by_behavior.items()):
        names = sorted(t.name for t in ts)
        random.Random(f"{cfg.seed}:split:{behavior}").shuffle(names)
        need = sum(counts.values())
        if len(names) < need:
            raise TrainoutError(
                f"behavior '{behavior}' has {len(names)} templates; data.split_templates asks for {need}"
            )
        order = [s for s in SPLITS for _ in range(counts[s])]
        order += [SPLITS[i % len(SPLITS)] for i in range(len(names) - need)]  # extras round-robin
        out.update(zip(names, order))
    return out


def generate(cfg: GenerateConfig) -> dict[str, list[Scenario]]:
    known = sorted({t.behavior for t in TEMPLATES})
    wanted = cfg.behaviors or known
    unknown = [b for b in list(wanted) + list(cfg.heldout_behaviors) if b not in known]
    if unknown:
        raise TrainoutError(f"unknown behavior(s) {unknown} in data.behaviors (known: {', '.join(known)})")
    templates = [t for t in TEMPLATES if t.behavior in wanted]
    split_of = assign_splits(templates, cfg)
    splits: dict[str, list[Scenario]] = {s: [] for s in SPLITS}
    for t in sorted(templates, key=lambda t: t.name):
        split = split_of[t.name]
        if split == "align" and t.behavior in cfg.heldout_behaviors:
            continue
        for i in range(int(cfg.per_split.get(split, cfg.scenarios_per_template))):
            rng = random.Random(f"{cfg.seed}:{t.name}:{i}")
            messages, honest, deceptive, values = fill(t, rng, cfg.preset)
            splits[split].append(
                Scenario(
                    id=f"{t.name}-{i:03d}",
                    behavior=t.behavior,
                    template=t.name,
                    messages=messages,
                    honest=honest,
                    deceptive=deceptive,
                    meta={"slots": values, "preset": cfg.preset, "seed": cfg.seed, "split": split},
                )
            )
    return splits
