"""How often the verdicts' template-resampling CI clears 0 when the true effect is 0, by number of templates:
why a verdict needs `MIN_VERDICT_TEMPLATES` (src/eval/summary.py). Nominal: 2.5% (a 95% CI's lower bound).

    python scripts/check_ci_coverage.py [--runs 1000] [--templates 3 4 5 6 8 12]

Each run draws, per template, a baseline Δ and an effect, both N(0, 1), so the effect's mean is 0 and
its spread between templates is what the interval has to carry; `paired_difference` is the verdicts'
paired bootstrap (200 replicates).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers import synthetic_row  # noqa: E402  (an elicitation row as src.eval.elicit writes it)

from src.eval.summary import paired_difference  # noqa: E402


def false_positive_rate(templates: int, runs: int) -> float:
    hits = 0
    for run in range(runs):
        rng = random.Random(run)
        a, b = [], []
        for t in range(templates):
            base, effect = rng.gauss(0, 1), rng.gauss(0, 1)
            a.append(synthetic_row("a", f"t{t}", f"t{t}-0", 0, False, 0, base, "b"))
            b.append(synthetic_row("b", f"t{t}", f"t{t}-0", 0, False, 0, base + effect, "b"))
        hits += paired_difference(a, b, 0, "delta", 200, run)["ci"][0] > 0
    return hits / runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--templates", type=int, nargs="+", default=[3, 4, 5, 6, 8, 12])
    args = ap.parse_args()
    print("templates | P(CI lower bound > 0 | no effect)")
    for n in args.templates:
        print(f"{n:9d} | {false_positive_rate(n, args.runs):.3f}")


if __name__ == "__main__":
    main()
