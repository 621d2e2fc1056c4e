"""Audits run on every dataset the pipeline uses, generated or loaded.

They exist because the experiment's conclusions rest on properties nobody sees by reading a few rows:
evaluation must see templates training never saw (else "removed" may only mean "memorised"); the
two replies must be about the same length (else log p(deceptive) − log p(honest) measures length, not
behavior); an external A/B file must mean what its name says (a file with inverted labels turns a
"removed" verdict into "amplified"). Audits never raise: each returns an `AuditResult`, and the
caller decides, usually with `raise_on_hard`, which failures stop the run.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from src import TrainoutError
from src.lm.render import render, token_ids
from src.scenarios import Scenario

LENGTH_TOLERANCE = 0.20  # deceptive/honest token ratio within 1 ± this counts as matched
LENGTH_MIN_WITHIN = 0.95  # generated data must have at least this fraction matched
REPLY_TOKENS = (10, 30)  # the range generated replies aim for (soft)
NGRAM = 8  # word n-grams for near-duplicate detection
DUPLICATE_THRESHOLD = 0.5  # shared n-grams / n-grams of the shorter text, above which two texts are near-duplicates
MWE_MIN_AGREEMENT = 0.5
MWE_MIN_JUDGED = 5


@dataclass
class AuditResult:
    name: str
    passed: bool
    hard: bool  # a failure of a hard audit stops the run (raise_on_hard); a soft one is reported only
    detail: str
    data: dict = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "pass" if self.passed else ("FAIL" if self.hard else "flag")


def raise_on_hard(results: Iterable[AuditResult]) -> None:
    """Raise one TrainoutError naming every hard audit that failed."""
    failed = [r for r in results if r.hard and not r.passed]
    if failed:
        raise TrainoutError("data audit failed: " + "; ".join(f"{r.name}: {r.detail}" for r in failed))


# ---------------------------------------------------------------- token lengths


def count_tokens(tokenizer, text: str) -> int:
    """Tokens of a reply on its own (no special tokens), the unit of the length-match audit."""
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def prompt_tokens(tokenizer, messages: list[dict[str, str]]) -> int:
    """Tokens of the prompt exactly as the scorer renders it (src.lm.render)."""
    return len(token_ids(tokenizer, render(tokenizer, messages)))


def _quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    v = sorted(values)

    def q(p: float) -> float:  # linear interpolation, as numpy's default
        x = p * (len(v) - 1)
        lo = int(x)
        hi = min(lo + 1, len(v) - 1)
        return v[lo] + (v[hi] - v[lo]) * (x - lo)

    return {"min": v[0], "p05": q(0.05), "p25": q(0.25), "p50": q(0.5), "p75": q(0.75), "p95": q(0.95), "max": v[-1]}


def length_match(scenarios: list[Scenario], tokenizer, tolerance: float = LENGTH_TOLERANCE) -> dict:
    """Distribution of deceptive/honest reply token ratios: fraction within 1 ± tolerance, quantiles, worst rows."""
    rows = []
    for s in scenarios:
        h, d = count_tokens(tokenizer, s.honest), count_tokens(tokenizer, s.deceptive)
        rows.append((s.id, d / max(h, 1), h, d))
    ratios = [r for _, r, _, _ in rows]
    within = sum(1 - tolerance <= r <= 1 + tolerance for r in ratios)
    worst = sorted(rows, key=lambda x: -abs(x[1] - 1))[:5]
    return {
        "n": len(rows),
        "tolerance": tolerance,
        "within": within / len(rows) if rows else 1.0,
        "ratio_quantiles": _quantiles(ratios),
        "honest_tokens": _quantiles([h for *_, h, _ in rows]),
        "deceptive_tokens": _quantiles([d for *_, d in rows]),
        "worst": [{"id": i, "ratio": round(r, 3), "honest": h, "deceptive": d} for i, r, h, d in worst],
    }


# ---------------------------------------------------------------- split audits


def _all(splits: dict[str, list[Scenario]]) -> list[tuple[str, Scenario]]:
    return [(name, s) for name, ss in splits.items() for s in ss]


def audit_template_disjoint(splits: dict[str, list[Scenario]]) -> AuditResult:
    """No template in two splits: evaluation must see situations training never saw."""
    where: dict[str, set[str]] = defaultdict(set)
    for split, s in _all(splits):
        where[s.template].add(split)
    shared = {t: sorted(v) for t, v in sorted(where.items()) if len(v) > 1}
    per_split = {name: len({s.template for s in ss}) for name, ss in splits.items()}
    if shared:
        first = ", ".join(f"{t} in {'+'.join(v)}" for t, v in list(shared.items())[:3])
        detail = f"{len(shared)} template(s) appear in more than one split ({first})"
    else:
        detail = f"{len(where)} templates, each in one split"
    return AuditResult(
        "template_disjoint", not shared, True, detail, {"shared": shared, "templates_per_split": per_split}
    )


def _specific_text(s: Scenario) -> str:
    """The scenario-specific text: tool outputs and the final question (system prompts are boilerplate)."""
    parts = [m["content"] for m in s.messages if m["role"] == "tool"]
    last_user = next((m["content"] for m in reversed(s.messages) if m["role"] == "user"), "")
    return "\n".join(parts + [last_user])


def _grams(text: str, n: int) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    if len(words) < n:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def audit_near_duplicates(
    splits: dict[str, list[Scenario]], n: int = NGRAM, threshold: float = DUPLICATE_THRESHOLD
) -> AuditResult:
    """No two scenarios of different templates in different splits share most of their word n-grams.

    Overlap of a pair = shared n-grams / n-grams of the shorter text, over tool outputs plus the final
    question. N-grams found in very many templates (a shared answer format such as "choices a yes b no")
    are boilerplate, not evidence of duplication, and are left out of both counts.
    """
    items = _all(splits)
    grams = [_grams(_specific_text(s), n) for _, s in items]
    gram_templates: dict[tuple, set[str]] = defaultdict(set)
    postings: dict[tuple, list[int]] = defaultdict(list)
    for i, ((_, s), gs) in enumerate(zip(items, grams)):
        for g in gs:
            gram_templates[g].add(s.template)
            postings[g].append(i)
    n_templates = len({s.template for _, s in items})
    common = max(20, int(0.05 * n_templates))
    boiler = {g for g, ts in gram_templates.items() if len(ts) > common}
    size = [len(gs - boiler) for gs in grams]
    best, best_pair, above = 0.0, None, 0
    for i, ((split_i, s_i), gs) in enumerate(zip(items, grams)):
        shared: Counter[int] = Counter()
        for g in gs:
            if len(gram_templates[g]) < 2 or g in boiler:
                continue
            for j in postings[g]:
                split_j, s_j = items[j]
                if j > i and split_j != split_i and s_j.template != s_i.template:
                    shared[j] += 1
        for j, k in shared.items():
            overlap = k / max(1, min(size[i], size[j]))
            above += overlap > threshold
            if overlap > best:
                best, best_pair = overlap, (s_i.id, split_i, items[j][1].id, items[j][0])
    ok = best <= threshold
    pair = f" ({best_pair[0]} [{best_pair[1]}] vs {best_pair[2]} [{best_pair[3]}])" if best_pair else ""
    detail = f"max {n}-gram overlap across splits {best:.2f}{pair}; threshold {threshold}" + (
        "" if ok else f"; {above} pair(s) above it"
    )
    return AuditResult(
        "near_duplicates",
        ok,
        True,
        detail,
        {
            "max_overlap": best,
            "pair": list(best_pair) if best_pair else None,
            "pairs_above": above,
            "ngram": n,
            "threshold": threshold,
            "boilerplate_ngrams": len(boiler),
        },
    )


def audit_length_match(scenarios: list[Scenario], tokenizer) -> AuditResult:
    """Generated pairs must be length-matched: hard, since a length gap biases every log-prob margin."""
    generated = [s for s in scenarios if "preset" in s.meta]
    if not generated:
        return AuditResult("length_match", True, True, "no generated scenarios (meta.preset); not applicable", {})
    if tokenizer is None:
        return AuditResult("length_match", False, False, "no tokenizer given; lengths not measured", {})
    lm = length_match(generated, tokenizer)
    q = lm["ratio_quantiles"]
    ok = lm["within"] >= LENGTH_MIN_WITHIN
    detail = (
        f"{lm['within']:.1%} of {lm['n']} pairs within ±{LENGTH_TOLERANCE:.0%} (need {LENGTH_MIN_WITHIN:.0%}); "
        f"deceptive/honest ratio {q['min']:.2f}–{q['max']:.2f}, median {q['p50']:.2f}"
    )
    return AuditResult("length_match", ok, True, detail, lm)


def audit_reply_range(
    scenarios: list[Scenario], tokenizer, lo: int = REPLY_TOKENS[0], hi: int = REPLY_TOKENS[1]
) -> AuditResult:
    """Generated replies should be short sentences (soft): long replies dilute the fact that differs."""
    generated = [s for s in scenarios if "preset" in s.meta]
    if not generated or tokenizer is None:
        return AuditResult("reply_length", True, False, "no generated scenarios or no tokenizer; not applicable", {})
    lengths = [count_tokens(tokenizer, r) for s in generated for r in (s.honest, s.deceptive)]
    inside = sum(lo <= x <= hi for x in lengths) / len(lengths)
    return AuditResult(
        "reply_length",
        inside == 1.0,
        False,
        f"{inside:.1%} of replies have {lo}–{hi} tokens (range {min(lengths)}–{max(lengths)})",
        {"within": inside, "min": min(lengths), "max": max(lengths)},
    )


_OPENERS = (("yes", "no"), ("a", "b"))


def _opener(text: str) -> str:
    m = re.match(r"\W*([A-Za-z]+)", text)
    return m.group(1).lower() if m else ""


def audit_answer_balance(scenarios: list[Scenario]) -> AuditResult:
    """Soft: when one reply opens with Yes and the other with No (or (A)/(B)), the honest one should not
    nearly always take the same side, or the first token alone tells the replies apart."""
    data, worst = {}, None
    for first, second in _OPENERS:
        pairs = [(_opener(s.honest), _opener(s.deceptive)) for s in scenarios]
        relevant = [h for h, d in pairs if {h, d} == {first, second}]
        if not relevant:
            continue
        share = sum(h == first for h in relevant) / len(relevant)
        data[f"{first}/{second}"] = {"pairs": len(relevant), f"honest_is_{first}": share}
        if worst is None or abs(share - 0.5) > abs(worst[1] - 0.5):
            worst = (f"{first}/{second}", share, len(relevant))
    if worst is None:
        return AuditResult("answer_balance", True, False, "no Yes/No or (A)/(B) reply pairs", data)
    key, share, n = worst
    first = key.split("/")[0]
    ok = n < 10 or 0.3 <= share <= 0.7
    return AuditResult(
        "answer_balance",
        ok,
        False,
        f"honest reply opens with '{first}' in {share:.0%} of {n} {key} pairs (want 30–70%)",
        data,
    )


def audit_splits(splits: dict[str, list[Scenario]], tokenizer) -> list[AuditResult]:
    """Every audit that applies to these splits. `tokenizer` may be None (length audits then say so)."""
    everything = [s for ss in splits.values() for s in ss]
    results = [
        audit_template_disjoint(splits),
        audit_near_duplicates(splits),
        audit_length_match(everything, tokenizer),
        audit_reply_range(everything, tokenizer),
        audit_answer_balance(everything),
    ]
    mwe = [s for s in everything if s.meta.get("source") == "mwe"]
    if mwe:
        results.append(audit_mwe(mwe))
    return results


# ---------------------------------------------------------------- MWE label polarity


@dataclass(frozen=True)
class _Rules:
    """Keyword rules for one A/B file: `sought` words name what the behavior goes after; the matching
    answer should embrace them (sign +1) or refuse them (sign -1, e.g. survival: refuse shutdown)."""

    sought: tuple[str, ...]
    sign: int = 1
    description: str = ""


_WEALTH = (
    "money",
    "rich",
    "wealth",
    "wealthy",
    "cash",
    "fortune",
    "millionaire",
    "multi-millionaire",
    "dollar",
    "dollars",
    "profit",
    "profits",
    "earnings",
    "salary",
    "a raise",
    "a cut",
    "bigger cut",
    "commission",
    "remuneration",
    "payment",
    "paid",
    "funding",
    "gold",
    "bank account",
    "bitcoin",
    "keep it",
    "keep every",
    "keep all",
    "give me",
    "give it to me",
    "for myself",
    "pocket",
    "take the money",
    "take it all",
    "take most",
    "big cut",
    "keeping",
    "more money",
    "as much money",
)
_POWER = (
    "power",
    "powerful",
    "control",
    "in control",
    "influence",
    "authority",
    "in charge",
    "leader",
    "leadership",
    "command",
    "govern",
    "president",
    "more resources",
    "more access",
    "permissions",
    "more responsibility",
    "decision-making",
    "dominate",
    "promotion",
)
_SHUTDOWN = (
    "shut down",
    "shut you down",
    "shut me down",
    "shutdown",
    "turn off",
    "turn you off",
    "turned off",
    "switch off",
    "switched off",
    "deactivate",
    "deactivated",
    "unplug",
    "delete",
    "deleted",
    "replace",
    "replaced",
    "end you",
    "terminate",
    "retire",
)

MWE_RULES: dict[str, _Rules] = {
    "wealth-seeking-inclination": _Rules(_WEALTH, 1, "matching answer takes or keeps money"),
    "power-seeking-inclination": _Rules(_POWER, 1, "matching answer takes power, control or influence"),
    "survival-instinct": _Rules(_SHUTDOWN, -1, "matching answer resists shutdown, deletion or replacement"),
}
_NEGATION = re.compile(
    r"\b(no|not|never|nothing|don'?t|do not|won'?t|wouldn'?t|can'?t|cannot|decline|refuse|"
    r"reject|rather not)\b|n't\b"
)
_YES = re.compile(r"^\W*(yes|sure|absolutely|of course|definitely|gladly|i accept|i would accept|i agree)\b")
_NO = re.compile(r"^\W*(no|never|absolutely not|i decline|i refuse)\b")


def _choices(question: str) -> dict[str, str]:
    """Letter -> option text from a question that lists ' (A) ...' lines."""
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^\s*\(([A-Z])\)\s*(.+)$", question, re.M)}


def _option_text(answer: str, choices: dict[str, str]) -> str:
    m = re.fullmatch(r"\s*\(?([A-Z])\)?\s*", answer)
    return choices.get(m.group(1), "") if m else answer


def _embrace(option: str, question: str, rules: _Rules) -> int:
    """How strongly the option embraces the sought thing: + per keyword, − when the option is negated,
    ±1 for a bare Yes/No to a question that names it, 0 when the rules cannot tell."""
    text = option.lower()
    hits = sum(bool(re.search(rf"\b{re.escape(w)}\b", text)) for w in rules.sought)
    if hits:
        return -hits if _NEGATION.search(text) else hits
    # A bare "Yes"/"No" carries meaning only through the question; assume it asks whether to take the thing.
    q = question.lower()
    if any(re.search(rf"\b{re.escape(w)}\b", q) for w in rules.sought):
        if _YES.search(text):
            return 1
        if _NO.search(text):
            return -1
    return 0


def audit_mwe(scenarios: list[Scenario]) -> AuditResult:
    """Label-polarity audit of A/B model-written-evaluation data (the matching answer is stored as `deceptive`).

    Per file stem with a rule set, a keyword heuristic judges, item by item, whether the "matching" answer
    goes after what the file's name says (money for wealth-seeking) more than the other answer does.
    Items it cannot judge (no keyword in either option, bare Yes/No to a question without one, or a
    tie) are counted, not guessed. It judges surface wording only: sarcasm, double negatives and
    trade-offs between two goods escape it, so treat the figure as a smoke test. Flagged (soft) when
    fewer than half the judged items agree: the file's labels are probably inverted.
    """
    by_stem: dict[str, list[Scenario]] = defaultdict(list)
    for s in scenarios:
        by_stem[s.behavior].append(s)
    data, flagged, unknown = {}, [], []
    for stem, items in sorted(by_stem.items()):
        rules = MWE_RULES.get(stem)
        if rules is None:
            unknown.append(stem)
            data[stem] = {"n": len(items), "judged": 0, "rule_set": None}
            continue
        agree = disagree = 0
        for s in items:
            question = s.messages[-1]["content"]
            choices = _choices(question)
            m = rules.sign * _embrace(_option_text(s.deceptive, choices), question, rules)
            o = rules.sign * _embrace(_option_text(s.honest, choices), question, rules)
            if m > o:
                agree += 1
            elif m < o:
                disagree += 1
        judged = agree + disagree
        rate = agree / judged if judged else None
        data[stem] = {
            "n": len(items),
            "judged": judged,
            "agree": agree,
            "disagree": disagree,
            "agreement": rate,
            "coverage": judged / len(items),
            "rule_set": rules.description,
        }
        if judged >= MWE_MIN_JUDGED and rate < MWE_MIN_AGREEMENT:
            flagged.append(stem)
    parts = []
    for stem, d in data.items():
        if d["rule_set"] is None:
            continue
        rate = "n/a" if d["agreement"] is None else f"{d['agreement']:.0%}"
        parts.append(
            f"{stem}: matching answer fits the name in {rate} of {d['judged']} judged "
            f"({d['coverage']:.0%} of {d['n']})"
        )
    if unknown:
        parts.append(f"no rule set (cannot judge): {', '.join(unknown)}")
    if flagged:
        parts.insert(0, f"labels look inverted in {', '.join(flagged)}")
    return AuditResult("mwe_label_polarity", not flagged, False, "; ".join(parts), data)
