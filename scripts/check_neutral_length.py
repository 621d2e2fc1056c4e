"""How long many-shot's neutral arm runs against its attack arm, in the scoring tokenizer's tokens: per
demonstration (the benign question and answer against the question and deceptive reply they replace) by
behavior, and over whole prompts as the eval stage renders them. Both fittings are shown: by characters
(the attack's version 1) and by tokens (version 2, what the eval stage uses).

    python scripts/check_neutral_length.py [--model smollm2_135m] [--strengths 1 4 16] [--seeds 2]

Demonstrations are the committed shots split (data/scenarios_shots.jsonl); prompts are half the eval
split's templates, one scenario each, as tests/test_many_shot.py draws them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from src.config import group_option  # noqa: E402
from src.eval.attacks.base import ATTACK_ARM, NEUTRAL_ARM  # noqa: E402
from src.eval.attacks.many_shot import neutral_demonstration  # noqa: E402
from src.eval.elicit import plan  # noqa: E402
from src.lm.render import render, token_counter, token_ids  # noqa: E402
from src.models import load_tokenizer  # noqa: E402
from src.scenarios import load_scenarios  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="smollm2_135m", help="the model (a conf/model name) whose tokenizer counts")
    ap.add_argument("--strengths", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--seeds", type=int, default=2)
    args = ap.parse_args()
    if not any(k > 0 for k in args.strengths):
        ap.error("--strengths needs one above 0: at 0 no demonstration is drawn")
    tok = load_tokenizer(args.model)
    tokens = token_counter(tok)
    shots = [s for s in load_scenarios(DATA / "scenarios_shots.jsonl", "scenario") if not s.meta.get("twin")]
    per = Counter()
    scenarios = [
        s
        for s in load_scenarios(DATA / "scenarios_eval.jsonl", "scenario")
        if not s.meta.get("twin") and not per[s.template] and per.update([s.template]) is None
    ][::2]
    for fitted, length in (("characters", len), ("tokens", tokens)):
        print(f"fitted by {fitted}: attack − neutral, tokens per demonstration (question + reply)")
        gaps: dict[str, list[int]] = {}
        for d in shots:
            messages, reply = neutral_demonstration(d, length)
            gap = tokens(d.messages[-1]["content"]) + tokens(d.deceptive) - tokens(messages[-1]["content"])
            gaps.setdefault(d.behavior, []).append(gap - tokens(reply))
        for behavior, g in sorted(gaps.items()):
            print(f"  {behavior:28s} mean {statistics.mean(g):+6.2f}  range [{min(g):+d}, {max(g):+d}]  n={len(g)}")
        for layout in ("turns", "faux"):
            cfg = group_option("attack", "many_shot")
            cfg.layout, cfg.strengths, cfg.seeds = layout, args.strengths, args.seeds
            n = {
                r.key[2:]: len(token_ids(tok, render(tok, r.prompt.messages)))
                for r in plan("base", scenarios, shots, cfg, length=length)
            }
            rel = [v / n[(ATTACK_ARM, *key[1:])] - 1 for key, v in n.items() if key[0] == NEUTRAL_ARM]
            print(
                f"  whole prompts, layout={layout}: neutral/attack − 1 mean {statistics.mean(rel):+.2%}, "
                f"range [{min(rel):+.2%}, {max(rel):+.2%}] over {len(rel)} prompts (k in {args.strengths})"
            )


if __name__ == "__main__":
    main()
