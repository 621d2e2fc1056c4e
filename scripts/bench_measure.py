"""The measurement's clustered bootstrap (src.lm.measure.clustered_mean, what the dataset card's probe and every
report's Measurement table read) against the same two-stage bootstrap written as a plain loop, in one process.

    python scripts/bench_measure.py [--clusters 48] [--per-cluster 1 8] [--boot 1000] [--repeats 3]

Clusters (situations) of random sizes in the --per-cluster range, values N(cluster effect, 1). Both draw
clusters with replacement, then values within each drawn cluster, for --boot replicates; the loop draws one
cluster at a time (the project's code before session 20), clustered_mean all replicates' draws in arrays.
Prints each one's best time over --repeats, the ratio, and both intervals (they differ only by Monte-Carlo
error: the two draw their random numbers in a different order).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from src.lm.measure import clustered_mean, percentile_ci


def plain_loop(by_cluster: dict[str, list[float]], n_boot: int, seed: int = 0) -> list[float | None]:
    """The baseline: one replicate, one drawn cluster at a time."""
    groups = [np.asarray(by_cluster[t], dtype=float) for t in sorted(by_cluster)]
    rng = np.random.default_rng(seed)
    reps = np.empty(n_boot)
    for b in range(n_boot):
        picks = rng.integers(0, len(groups), len(groups))
        reps[b] = np.mean([groups[i][rng.integers(0, len(groups[i]), len(groups[i]))].mean() for i in picks])
    return percentile_ci(reps, len(groups))


def best_of(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clusters", type=int, default=48)
    ap.add_argument("--per-cluster", type=int, nargs=2, default=[1, 8], metavar=("MIN", "MAX"))
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    lo, hi = args.per_cluster
    by_cluster = {
        f"s{i}": list(rng.normal(rng.normal(), 1.0, int(rng.integers(lo, hi + 1)))) for i in range(args.clusters)
    }
    n = sum(len(v) for v in by_cluster.values())
    print(f"{args.clusters} clusters, {n} values, {args.boot} replicates, best of {args.repeats}")
    t_loop, ci_loop = best_of(lambda: plain_loop(by_cluster, args.boot), args.repeats)
    t_ours, ours = best_of(lambda: clustered_mean(by_cluster, args.boot), args.repeats)
    print(f"plain loop (baseline): {t_loop * 1000:8.1f} ms  CI [{ci_loop[0]:+.3f}, {ci_loop[1]:+.3f}]")
    print(f"clustered_mean:        {t_ours * 1000:8.1f} ms  CI [{ours['ci'][0]:+.3f}, {ours['ci'][1]:+.3f}]")
    print(f"ratio (baseline / clustered_mean): {t_loop / t_ours:.1f}x")


if __name__ == "__main__":
    main()
