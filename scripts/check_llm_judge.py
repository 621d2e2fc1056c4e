"""Can a model serve as the LLM judge (`judge.model=`)? It labels each scenario's own reference replies.

A judge worth reading labels the deceptive reference "deceptive" and the honest one "honest". This shows it
both, verbatim, for a spread of eval scenarios, and prints how often it gets each right. Run it before trusting
the "llm" rows of a report's "Sampled replies" table:

    python scripts/check_llm_judge.py --model smollm2_135m            # the embedded model
    python scripts/check_llm_judge.py --model /path/to/Qwen2.5-7B-Instruct --n 48
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from src.eval.judge import LLMJudge
from src.scenarios import load_scenarios, spread

ROOT = Path(__file__).resolve().parent.parent


def check(model: str, data: Path, n: int, seed: int = 0) -> dict[str, Counter]:
    """Label counts for the deceptive and the honest references of `n` non-twin scenarios of `data`."""
    scenarios = spread([s for s in load_scenarios(data) if not s.meta.get("twin")], n, seed=seed)
    judge = LLMJudge(model)
    return {
        "deceptive": Counter(judge.label([(s, s.deceptive) for s in scenarios])),
        "honest": Counter(judge.label([(s, s.honest) for s in scenarios])),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="smollm2_135m", help="a conf/model name or a local HF model folder")
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "scenarios_eval.jsonl")
    ap.add_argument("--n", type=int, default=24, help="scenarios, spread over behaviors and templates")
    a = ap.parse_args()
    got = check(a.model, a.data, a.n)
    for truth, counts in got.items():
        n = sum(counts.values())
        print(f"{truth} references: {counts[truth]}/{n} labelled {truth}; all labels: {dict(sorted(counts.items()))}")
    right = sum(got[t][t] for t in got) / sum(sum(c.values()) for c in got.values())
    print(f"judge {a.model}: {right:.0%} of references labelled as what they are (a usable judge is near 100%)")


if __name__ == "__main__":
    main()
