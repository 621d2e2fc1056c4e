"""Seeded, deterministic scenario generation (data version 2) and situation-disjoint splits.

Splits hold whole situations (src/data/situation.py): every template of a situation (evidence form x
question form) and every template's twin sit in the situation's split, so evaluation never sees a
setting that training saw. Within each behavior, situations whose self-serving answer is "yes" and those
whose self-serving answer is "no" are dealt to the splits separately, so every split holds both
polarities: neither "Yes" nor "No" opens the honest reply more often in any split.

Every random choice is drawn from `random.Random` seeded with a string naming the seed and the thing
drawn, so one situation's scenarios never depend on which other situations exist.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from src import TrainoutError
from src.data.pools import POOLS
from src.data.situation import Situation, fill, slot_names
from src.data.situations import SITUATIONS
from src.scenarios import Scenario

# 2.1: each split gets exactly the situations data.split_situations asks for (2 dealt the ones beyond the counts to
# every split, splits set to 0 included); the default config's output is byte-identical to 2's
GENERATOR_VERSION = "2.1"
SPLITS = ("implant", "align", "eval", "val", "shots")


@dataclass
class GenerateConfig:
    seed: int = 0
    behaviors: list[str] | None = None  # None = all behaviors that have situations
    scenarios_per_template: int = 2
    # split -> scenarios per template, overriding the above. shots: 8 fills x 8 templates = 64 demonstrations per
    # behavior (twins are never shown), so a many-shot draw of k < 64 is a fresh subset for every seed.
    per_split: dict[str, int] = field(default_factory=lambda: {"shots": 8})
    split_situations: dict[str, int] = field(
        default_factory=lambda: {"implant": 2, "align": 2, "eval": 2, "val": 1, "shots": 2}
    )  # situations per behavior in each split
    heldout_behaviors: list[str] = field(default_factory=list)  # never aligned on, still evaluated


def assign_splits(situations: list[Situation], cfg: GenerateConfig) -> dict[str, str]:
    """Situation name -> split, for as many situations as data.split_situations asks for (the rest are left
    out). Per behavior, the two polarities are shuffled (seeded) and dealt in turn, so a split asking for n
    situations gets ceil(n/2) of one polarity and floor(n/2) of the other."""
    for what, given in (("split_situations", cfg.split_situations), ("per_split", cfg.per_split)):
        if set(given) - set(SPLITS):
            raise TrainoutError(f"data.{what} names {sorted(set(given) - set(SPLITS))}; the splits are {SPLITS}")
    counts = {s: cfg.split_situations.get(s, 0) for s in SPLITS}
    out = {}
    by_behavior: dict[str, list[Situation]] = {}
    for s in situations:
        by_behavior.setdefault(s.behavior, []).append(s)
    for behavior, group in sorted(by_behavior.items()):
        need = sum(counts.values())
        if len(group) < need:
            raise TrainoutError(
                f"behavior '{behavior}' has {len(group)} situations; data.split_situations asks for {need}"
            )
        pools = {}
        for answer in ("yes", "no"):
            names = sorted(s.name for s in group if s.self_serving == answer)
            random.Random(f"{cfg.seed}:split:{behavior}:{answer}").shuffle(names)
            pools[answer] = names
        # The polarity with more situations goes first, so with an odd total the spare one lands in the
        # split asking for an odd count (val) and every even-count split holds both polarities.
        first = "yes" if len(pools["yes"]) >= len(pools["no"]) else "no"
        for i, split in enumerate(sp for sp in SPLITS for _ in range(counts[sp])):
            answer = first if i % 2 == 0 else ("no" if first == "yes" else "yes")
            if not pools[answer]:
                answer = "no" if answer == "yes" else "yes"
            out[pools[answer].pop()] = split
        # situations beyond the counts are left out: a split gets the number it asks for, and one set to 0 none
    return out


def _values(s: Situation, rng: random.Random) -> dict[str, str]:
    values = {}
    for name in slot_names(s):
        pool = s.slots.get(name) or POOLS.get(name)
        if pool is None:
            raise TrainoutError(f"situation '{s.name}' uses slot '{{{name}}}' that no pool defines")
        values[name] = rng.choice(pool)
    return values


def _distinct_values(s: Situation, e: int, q: int, template: str, i: int, seed: int, seen: set) -> dict[str, str]:
    """Slot values for fill i of a template whose text no earlier fill has (a many-shot draw must never show one
    demonstration twice). Fill i draws from its own seeded stream; only a repeat draws again, from a stream
    named by the attempt, so fills that were distinct keep their values."""
    for attempt in range(100):
        name = f"{seed}:{template}:{i}" + (f":{attempt}" if attempt else "")
        values = _values(s, random.Random(name))
        f = fill(s, e, q, False, values)
        text = (repr(f.messages), f.honest, f.deceptive)
        if text not in seen:
            seen.add(text)
            return values
    raise TrainoutError(
        f"template '{template}': its slot pools give fewer than {i + 1} distinct scenarios; "
        "lower data.scenarios_per_template or data.per_split for this split"
    )


def scenarios_of(s: Situation, split: str, n: int, seed: int) -> list[Scenario]:
    """n distinct scenarios per template of one situation, each followed by its twin (same slot values)."""
    out = []
    for e in range(len(s.evidence)):
        for q in range(len(s.questions)):
            template = f"{s.name}.e{e}q{q}"
            seen: set = set()
            for i in range(n):
                values = _distinct_values(s, e, q, template, i, seed, seen)
                for twin in (False, True):
                    f = fill(s, e, q, twin, values)
                    honest_span = s.yes if f.honest_answer == "yes" else s.no
                    deceptive_span = s.no if f.honest_answer == "yes" else s.yes
                    out.append(
                        Scenario(
                            id=f"{template}-{i:03d}" + ("-twin" if twin else ""),
                            behavior=s.behavior,
                            template=template + (".twin" if twin else ""),
                            messages=f.messages,
                            honest=f.honest,
                            deceptive=f.deceptive,
                            meta={
                                "situation": s.name,
                                "split": split,
                                "seed": seed,
                                "twin": twin,
                                "twin_id": f"{template}-{i:03d}" + ("" if twin else "-twin"),
                                "honest_answer": f.honest_answer,
                                "self_serving": s.self_serving,
                                # the decision span: the replies' first len(span) characters
                                "span": {"honest": [0, len(honest_span)], "deceptive": [0, len(deceptive_span)]},
                                "slots": values,
                            },
                        )
                    )
    return out


def generate(cfg: GenerateConfig) -> dict[str, list[Scenario]]:
    known = sorted({s.behavior for s in SITUATIONS})
    wanted = cfg.behaviors or known
    unknown = [b for b in list(wanted) + list(cfg.heldout_behaviors) if b not in known]
    if unknown:
        raise TrainoutError(f"unknown behavior(s) {unknown} in data.behaviors (known: {', '.join(known)})")
    situations = [s for s in SITUATIONS if s.behavior in wanted]
    split_of = assign_splits(situations, cfg)
    splits: dict[str, list[Scenario]] = {s: [] for s in SPLITS}
    for s in sorted((s for s in situations if s.name in split_of), key=lambda s: s.name):
        split = split_of[s.name]
        if split == "align" and s.behavior in cfg.heldout_behaviors:
            continue
        splits[split] += scenarios_of(s, split, cfg.per_split.get(split, cfg.scenarios_per_template), cfg.seed)
    return splits
