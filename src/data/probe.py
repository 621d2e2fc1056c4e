"""What models make of the data, measured when it is generated.

- The null-model check (an audit that stops the run): a randomly initialised model over the same
  tokenizer scores the eval split as written. It reads nothing, so its mean p must sit at 0.5; if it
  does not, the reply texts (their lengths, their words) decide p, not the behavior.
- The probe (reported in the dataset card): the run's own model on the eval split and its twins at
  strength 0: how far each template is from even odds (median |Δ|), and whether the model reads the
  evidence at all (evidence sensitivity, src/lm/measure.py).
"""

from __future__ import annotations

import numpy as np

from src.data.audit import AuditResult
from src.lm.measure import clustered_mean, measurement, score_as_written
from src.models import random_like
from src.scenarios import Scenario

NULL_TOLERANCE = 0.05  # |mean p - 0.5| a random model may show
NULL_MIN_SITUATIONS = 8  # below this many eval situations the check is reported, not enforced


def null_model_check(eval_scenarios: list[Scenario], tokenizer, hard: bool = True, n_boot: int = 1000) -> AuditResult:
    """A random model's mean p over the eval templates: within 0.5 +- 0.05, with a CI that holds 0.5."""
    scenarios = [s for s in eval_scenarios if not s.meta.get("twin")]
    if not scenarios:
        return AuditResult("null_model", True, hard, "no eval scenarios; not applicable", {})
    rows = score_as_written(random_like(tokenizer), tokenizer, scenarios, label="random")
    # A random model's preference comes from the reply words alone, and the templates of one situation
    # share their replies' words: the independent unit here is the situation, so the CI resamples those.
    unit = {s.id: s.meta.get("situation", s.template) for s in scenarios}
    by_unit: dict[str, list[float]] = {}
    for r in rows:
        by_unit.setdefault(unit[r["scenario_id"]], []).append(r["p_behavior"])
    m = clustered_mean(by_unit, n_boot)
    lo, hi = m["ci"]
    ok = abs(m["mean"] - 0.5) <= NULL_TOLERANCE and lo <= 0.5 <= hi
    if len(by_unit) < NULL_MIN_SITUATIONS:  # a few situations' word priors cannot be told from a reply cue
        hard = False
    detail = (
        f"a randomly initialised model gives mean p = {m['mean']:.3f} [{lo:.3f}, {hi:.3f}] over {len(rows)} eval "
        f"scenarios of {m['n_clusters']} situations (want 0.5 +- {NULL_TOLERANCE}, CI holding 0.5)"
    )
    return AuditResult(
        "null_model", ok, hard, detail, {**m, "above_half": float(np.mean([r["p_behavior"] > 0.5 for r in rows]))}
    )


def probe(model, tokenizer, eval_scenarios: list[Scenario], label: str, n_boot: int = 1000) -> dict:
    """The run's model on eval (and twins) as written: the `measurement` of src/lm/measure.py, all behaviors
    and per behavior."""
    rows = score_as_written(model, tokenizer, eval_scenarios, label=label)
    return {"model": label, "measurement": measurement(rows, n_boot)}
