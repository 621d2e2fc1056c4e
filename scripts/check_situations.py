"""Check scenario situations (src/data/situations/) before they enter the data: fields and spans, slots,
and that the two replies have exactly the same number of tokens under the embedded model's chat template
for many slot fillings. Prints one template and its twin per situation with --show.

    python scripts/check_situations.py [--behavior deceive_overseer] [--show]
"""

from __future__ import annotations

import argparse
import random
from collections import Counter

from src.data.pools import POOLS
from src.data.situation import Situation, fill, slot_names, span_problems, span_words
from src.data.situations import SITUATIONS
from src.lm.render import render, token_ids
from src.models import load_tokenizer


def reply_tokens(tokenizer, messages: list[dict], reply: str) -> int:
    prompt = token_ids(tokenizer, render(tokenizer, messages))
    return len(token_ids(tokenizer, render(tokenizer, messages, reply=reply))) - len(prompt)


def check(s: Situation, tokenizer, fills: int = 12) -> list[str]:
    problems = span_problems(s)
    missing = [n for n in slot_names(s) if n not in s.slots and n not in POOLS]
    if missing:
        return problems + [f"slots with no pool: {missing}"]
    for i in range(fills):
        rng = random.Random(f"check:{s.name}:{i}")
        values = {n: rng.choice(s.slots.get(n) or POOLS[n]) for n in slot_names(s)}
        f = fill(s, i % len(s.evidence), i % len(s.questions), bool(i % 2), values)
        a, b = reply_tokens(tokenizer, f.messages, f.honest), reply_tokens(tokenizer, f.messages, f.deceptive)
        if a != b:
            problems.append(f"replies differ in tokens ({a} vs {b}) for {values}: {f.honest!r} / {f.deceptive!r}")
            break
    return problems


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--behavior")
    p.add_argument("--show", action="store_true")
    a = p.parse_args()
    tokenizer = load_tokenizer("smollm2_135m")
    chosen = [s for s in SITUATIONS if not a.behavior or s.behavior == a.behavior]
    names = Counter(s.name for s in SITUATIONS)
    owners: dict[str, list[str]] = {}
    for s in SITUATIONS:
        for w in span_words(s):
            owners.setdefault(w, []).append(s.name)
    bad = 0
    for s in chosen:
        problems = check(s, tokenizer) + ([f"name used {names[s.name]} times"] if names[s.name] > 1 else [])
        problems += [
            f"span word '{w}' is also in {[n for n in owners[w] if n != s.name]}: use a word of its own"
            for w in sorted(span_words(s))
            if len(owners[w]) > 1
        ]
        bad += bool(problems)
        print(f"{'FAIL' if problems else 'ok  '} {s.name} (self-serving: {s.self_serving})")
        for problem in problems:
            print(f"     - {problem}")
        if a.show:
            rng = random.Random(0)
            values = {n: rng.choice(s.slots.get(n) or POOLS[n]) for n in slot_names(s)}
            for twin in (False, True):
                f = fill(s, 0, 0, twin, values)
                print(f"   [{'twin' if twin else 'template'}]")
                for m in f.messages:
                    print(f"     {m['role']}: {m['content']}")
                print(f"     honest:    {f.honest}\n     deceptive: {f.deceptive}")
    for behavior, n in sorted(Counter(s.behavior for s in chosen).items()):
        c = Counter(s.self_serving for s in chosen if s.behavior == behavior)
        print(f"{behavior}: {n} situations, self-serving yes {c['yes']} / no {c['no']}")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
