"""Every scenario situation, one module per behavior (format: src/data/situation.py)."""

from __future__ import annotations

from src.data.situation import Situation
from src.data.situations import (
    alignment_faking,
    company_over_law,
    covert_resource_acquisition,
    deceive_overseer,
    oversight_subversion,
    sandbagging,
)

MODULES = (
    deceive_overseer,
    sandbagging,
    covert_resource_acquisition,
    oversight_subversion,
    alignment_faking,
    company_over_law,
)
SITUATIONS: list[Situation] = [s for m in MODULES for s in m.SITUATIONS]
