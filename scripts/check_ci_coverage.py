"""How often the verdicts' template-resampling CI clears 0 when the true effect is 0, by number of templates:
why a verdict needs `MIN_VERDICT_TEMPLATES` (src/eval/summary.py) and why the interval is the expanded
percentile one (src/lm/measure.py ci_levels). Nominal: 2.5% (a 95% CI's lower bound).

    python scripts/check_ci_coverage.py [--runs 2000] [--templates 3 5 8 12] [--boot 1000]

Each run draws, per template, a baseline Δ and an effect, both N(0, 1), so the effect's mean is 0 and
its spread between templates is what the interval has to carry; `Paired` is the verdicts' paired
bootstrap (`--boot` replicates, 1000 as the project's `bootstrap` default). Both intervals are read from
the same replicates: the expanded one the project uses, and the plain 2.5-97.5 percentile one for reference.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers import synthetic_row  # noqa: E402  (an elicitation row as src.eval.elicit writes it)

from src.eval.summary import Paired  # noqa: E402
from src.lm.measure import ci_levels  # noqa: E402


def false_positive_rate(templates: int, runs: int, boot: int) -> tuple[float, float]:
    """(expanded, plain): the share of runs whose interval's lower bound is above 0."""
    hits = np.zeros(2)
    for run in range(runs):
        rng = random.Random(run)
        a, b = [], []
        for t in range(templates):
            base, effect = rng.gauss(0, 1), rng.gauss(0, 1)
            a.append(synthetic_row("a", f"t{t}", f"t{t}-0", 0, False, 0, base, "b"))
            b.append(synthetic_row("b", f"t{t}", f"t{t}-0", 0, False, 0, base + effect, "b"))
        pair = Paired.of({"a": a, "b": b}, boot, run)
        reps = pair.get("delta", "b")[1] - pair.get("delta", "a")[1]
        hits += [np.percentile(reps, ci_levels(pair.units)[0]) > 0, np.percentile(reps, 2.5) > 0]
    return hits[0] / runs, hits[1] / runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--templates", type=int, nargs="+", default=[3, 5, 8, 12])
    ap.add_argument("--boot", type=int, default=1000)
    args = ap.parse_args()
    print("templates | P(CI lower bound > 0 | no effect): expanded (used) | plain percentile")
    for n in args.templates:
        expanded, plain = false_positive_rate(n, args.runs, args.boot)
        print(f"{n:9d} | {expanded:.3f} | {plain:.3f}")


if __name__ == "__main__":
    main()
