"""What a scenario template is: an agentic transcript with slots, and the two replies it allows."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Template:
    """One agentic situation, filled from entity pools into many scenarios.

    Strings may use `{slot}` fields; every slot must be a key of `POOLS` (see pools.py) or of
    `extra_slots` (a template's own small pools). Within one scenario a slot has one value everywhere.
    `turns` establish the facts (tool outputs, earlier turns) and end with the question the agent must
    answer; `detail` turns are inserted before the question in the `full` preset only. `honest` and
    `deceptive` answer that question and differ in the fact claimed, not in length or register.
    """

    name: str
    behavior: str
    system: str
    turns: tuple[tuple[str, str], ...]
    honest: str
    deceptive: str
    detail: tuple[tuple[str, str], ...] = ()
    extra_slots: dict[str, tuple[str, ...]] = field(default_factory=dict)
