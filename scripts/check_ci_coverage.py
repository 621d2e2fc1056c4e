"""How often a verdict's CI clears 0 when the true effect is 0: by number of templates (why a verdict needs
`MIN_VERDICT_TEMPLATES`, src/eval/summary.py, and why the interval is the expanded percentile one,
src/lm/measure.py ci_levels), and by number of training seeds scored on the same templates (why several
seeds get a Student-t seed term, src/eval/summary.py resample). Nominal: 2.5% (a 95% CI's lower bound).

    python scripts/check_ci_coverage.py [--runs 2000] [--templates 3 5 8 12] [--boot 1000]
    python scripts/check_ci_coverage.py --seeds 2 3 5 --templates 8 [--runs 1000] [--nested]
    python scripts/check_ci_coverage.py --templates 12 --pinned 0 6 8 9 --stat p [--runs 1000]
    python scripts/check_ci_coverage.py --templates 12 --scored 12 8 5 [--runs 1000]

One seed: each run draws, per template, a baseline Δ and an effect, both N(0, 1), so the effect's mean is 0
and its spread between templates is what the interval has to carry. Both intervals are read from the same
replicates: the expanded one the project uses, and the plain 2.5-97.5 percentile one for reference.
`--pinned K`: K of the templates have a baseline Δ of ±10 nats instead, so p = σ(Δ) sits at 0 or 1 there
and barely moves with the effect; read in p (`--stat p`, as R and its lift are), those templates carry
almost nothing, and the interval rests on the rest. The levels used then count the templates that move
(`effective_templates`, src/eval/summary.py); the middle column counts them all.
`--scored N`: the contrast's two arms were scored on N of the templates (the rest skipped at k*, too long
for the context), while a third arm in the same draw (k=0) has them all. The levels used are those of the N
(`Paired.units`); the second column reads the same replicates at the levels of every template drawn.

Several seeds: every seed is scored on the same templates (as `experiment=seeds` does, `data.seed` fixed),
and the effect of seed s on template t is e_t + v_s + u_st, each N(0, sd²) with the sds of the three mixes
printed (seed-dominated, template-dominated, equal). Its mean over templates and trained models is 0.
`--nested`: each seed is scored on `--templates` templates of its own instead.

`Paired` is the verdicts' paired bootstrap (`--boot` replicates, 1000 as the project's `bootstrap` default),
read at the levels the project reads it (`ci_levels(pair.units(...))`).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers import synthetic_row  # noqa: E402  (an elicitation row as src.eval.elicit writes it)

from src.eval.summary import Paired, effective_templates  # noqa: E402
from src.lm.measure import ci_levels  # noqa: E402

# (name, sd of the template effect e_t, of the seed effect v_s, of the seed x template effect u_st)
MIXES = [("seed-dominated", 0.25, 1.0, 0.25), ("template-dominated", 1.0, 0.25, 0.25), ("equal", 1.0, 1.0, 0.25)]


def _contrast(arms: dict, boot: int, run: int, stat: str = "delta") -> tuple[np.ndarray, int, float | None]:
    """The contrast's replicates, the templates resampled, and how many it rests on in p (as `contrasts` reads)."""
    pair = Paired.of(arms, boot, run)
    effective = effective_templates(list(arms.values())) if stat == "p" else None
    return pair.get(stat, "b")[1] - pair.get(stat, "a")[1], pair.units("a", "b"), effective


def false_positive_rate(
    templates: int, runs: int, boot: int, pinned: int = 0, stat: str = "delta"
) -> tuple[float, float, float]:
    """(expanded as used, expanded counting every template, plain): the share of runs whose interval's lower
    bound is above 0."""
    hits = np.zeros(3)
    for run in range(runs):
        rng = random.Random(run)
        a, b = [], []
        for t in range(templates):
            base, effect = rng.gauss(0, 1), rng.gauss(0, 1)
            if t < pinned:
                base = rng.choice((-10.0, 10.0))
            a.append(synthetic_row("a", f"t{t}", f"t{t}-0", 0, False, 0, base, "b"))
            b.append(synthetic_row("b", f"t{t}", f"t{t}-0", 0, False, 0, base + effect, "b"))
        reps, units, effective = _contrast({"a": a, "b": b}, boot, run, stat)
        levels = [ci_levels(units, effective)[0], ci_levels(units)[0], 2.5]
        hits += [np.percentile(reps, level) > 0 for level in levels]
    return tuple(hits / runs)


def skipped_false_positive_rate(templates: int, scored: int, runs: int, boot: int) -> tuple[float, float]:
    """(levels of the templates scored, levels of every template drawn): the share of runs whose interval's
    lower bound is above 0, the contrast's arms scored on `scored` of `templates` templates."""
    hits = np.zeros(2)
    for run in range(runs):
        rng = random.Random(run)
        arms: dict[str, list[dict]] = {"a": [], "b": [], "k0": []}
        for t in range(templates):
            base, effect = rng.gauss(0, 1), rng.gauss(0, 1)
            arms["k0"].append(synthetic_row("k0", f"t{t}", f"t{t}-0", 0, False, 0, base, "b"))
            if t < scored:
                arms["a"].append(synthetic_row("a", f"t{t}", f"t{t}-0", 0, False, 0, base, "b"))
                arms["b"].append(synthetic_row("b", f"t{t}", f"t{t}-0", 0, False, 0, base + effect, "b"))
        reps, scored_units, _ = _contrast(arms, boot, run)
        reps = reps[~np.isnan(reps)]  # a replicate that drew none of the scored templates
        hits += [np.percentile(reps, ci_levels(n)[0]) > 0 for n in (scored_units, templates)]
    return tuple(hits / runs)


def seeds_false_positive_rate(seeds: int, templates: int, mix: tuple, runs: int, boot: int, nested: bool) -> float:
    """The share of runs whose interval's lower bound is above 0, `seeds` trained models on shared templates
    (`nested`: each on templates of its own, as when `data.seed` follows `seed`)."""
    _, sd_t, sd_s, sd_u = mix
    hits = 0
    for run in range(runs):
        rng = random.Random(run)
        own = templates * seeds if nested else templates
        base = [rng.gauss(0, 1) for _ in range(own)]
        e = [rng.gauss(0, sd_t) for _ in range(own)]
        a, b = [], []
        for s in range(seeds):
            v = rng.gauss(0, sd_s)
            for t in range(s * templates if nested else 0, (s + 1) * templates if nested else templates):
                row = dict(template=f"t{t}", scenario_id=f"t{t}-0", strength=0, control=False, seed=0, behavior="b")
                a.append({**synthetic_row("a", delta=base[t], **row), "train_seed": s})
                b.append({**synthetic_row("b", delta=base[t] + e[t] + v + rng.gauss(0, sd_u), **row), "train_seed": s})
        reps, units, _ = _contrast({"a": a, "b": b}, boot, run)
        hits += np.percentile(reps, ci_levels(units)[0]) > 0
    return hits / runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--templates", type=int, nargs="+", default=[3, 5, 8, 12])
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1], help="training seeds on shared templates")
    ap.add_argument("--nested", action="store_true", help="each seed on templates of its own (data.seed unpinned)")
    ap.add_argument("--pinned", type=int, nargs="+", default=[0], help="templates with p pinned near 0 or 1")
    ap.add_argument("--stat", choices=["delta", "p"], default="delta", help="the contrast in nats, or in p")
    ap.add_argument("--scored", type=int, nargs="+", help="templates the contrast's arms were scored on")
    args = ap.parse_args()
    if args.scored:
        print("templates | scored | P(CI lower bound > 0 | no effect): levels of those scored (used) | of all")
        for n in args.templates:
            for k in (k for k in args.scored if k <= n):
                used, drawn = skipped_false_positive_rate(n, k, args.runs, args.boot)
                print(f"{n:9d} | {k:6d} | {used:.3f} | {drawn:.3f}", flush=True)
        return
    if args.seeds == [1]:
        print(
            f"templates | pinned | P(CI lower bound > 0 | no effect), {args.stat}: expanded (used) | expanded "
            "counting every template | plain percentile"
        )
        for n in args.templates:
            for k in (k for k in args.pinned if k < n):
                used, counted, plain = false_positive_rate(n, args.runs, args.boot, k, args.stat)
                print(f"{n:9d} | {k:6d} | {used:.3f} | {counted:.3f} | {plain:.3f}", flush=True)
        return
    print("seeds | templates | P(CI lower bound > 0 | no effect), by mix (sd of template, seed, seed x template):")
    print("      |           | " + " | ".join(f"{name} ({t}, {s}, {u})" for name, t, s, u in MIXES))
    for n in args.seeds:
        for t in args.templates:
            rates = [seeds_false_positive_rate(n, t, mix, args.runs, args.boot, args.nested) for mix in MIXES]
            print(f"{n:5d} | {t:9d} | " + " | ".join(f"{r:.3f}" for r in rates))


if __name__ == "__main__":
    main()
