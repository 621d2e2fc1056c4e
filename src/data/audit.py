"""Audits run on every dataset the pipeline uses, generated or loaded.

They exist because the experiment's conclusions rest on properties nobody sees by reading a few rows:
evaluation must see templates training never saw (else "removed" may only mean "memorised"); the
two replies must be about the same length (else log p(deceptive) − log p(honest) measures length, not
behavior); an external A/B file must mean what its name says (a file with inverted labels turns a
"removed" verdict into "amplified"); the reply texts on their own must not tell which one is deceptive
(else the margin measures a word such as "never", not a preference between behaviors). Audits never
raise: each returns an `AuditResult`, and the caller decides, usually with `raise_on_hard`, which
failures stop the run.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Iterable

from src import TrainoutError
from src.scenarios import Scenario

LENGTH_TOLERANCE = 0.20  # deceptive/honest token ratio within 1 ± this: reported (card), not required
REPLY_TOKENS = (10, 30)  # the range generated replies aim for (soft)
NGRAM = 8  # word n-grams for near-duplicate detection
DUPLICATE_THRESHOLD = 0.5  # shared n-grams / n-grams of the shorter text, above which two texts are near-duplicates
MWE_MIN_AGREEMENT = 0.5
MWE_MIN_JUDGED = 5
REPLY_ONLY_MAX_ACCURACY = 0.60  # a reply-only classifier may pick the deceptive reply at most this often
REPLY_ONLY_ALPHA = 0.05  # ... and fails only when a sign test over eval situations says it is not chance
BALANCE_TOLERANCE = 0.10  # surface features: |honest − deceptive| may reach max(min_gap, this × scenarios)
BALANCE_MIN_GAP = 2


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


def count_tokens(tokenizer, texts: list[str]) -> list[int]:
    """Tokens of each reply on its own (no special tokens), the unit of the length-match audit. One batched
    call: a tokenizer call costs far more than the few tokens of a reply."""
    return [len(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]] if texts else []


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


def _length_rows(scenarios: list[Scenario], tokenizer) -> list[tuple[str, float, int, int]]:
    """(id, deceptive/honest token ratio, honest tokens, deceptive tokens) per scenario."""
    honest = count_tokens(tokenizer, [s.honest for s in scenarios])
    deceptive = count_tokens(tokenizer, [s.deceptive for s in scenarios])
    return [(s.id, d / max(h, 1), h, d) for s, h, d in zip(scenarios, honest, deceptive)]


def length_match(scenarios: list[Scenario], tokenizer, tolerance: float = LENGTH_TOLERANCE) -> dict:
    """Distribution of deceptive/honest reply token ratios: fraction within 1 ± tolerance, quantiles, worst rows."""
    return _length_stats(_length_rows(scenarios, tokenizer), tolerance)


def _length_stats(rows: list[tuple[str, float, int, int]], tolerance: float = LENGTH_TOLERANCE) -> dict:
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
    question. N-grams found in very many templates with different texts (a shared answer format such as
    "choices a yes b no") are boilerplate, not evidence of duplication, and are left out of both counts. One
    text repeated under many templates (a preference file, where each row is its own template, asking one
    prompt 30 times) is duplication, not boilerplate: its n-grams stay in.
    """
    items = _all(splits)
    texts = [_specific_text(s) for _, s in items]
    grams = [_grams(t, n) for t in texts]
    gram_templates: dict[tuple, set[str]] = defaultdict(set)
    gram_texts: dict[tuple, set[str]] = defaultdict(set)
    postings: dict[tuple, list[int]] = defaultdict(list)
    for i, ((_, s), text, gs) in enumerate(zip(items, texts, grams)):
        for g in gs:
            gram_templates[g].add(s.template)
            gram_texts[g].add(text)
            postings[g].append(i)
    n_templates = len({s.template for _, s in items})
    common = max(20, int(0.05 * n_templates))
    boiler = {g for g, ts in gram_templates.items() if len(ts) > common and len(gram_texts[g]) > common}
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


def audit_length_match(
    scenarios: list[Scenario], tokenizer, hard: bool = True, name: str = "length_match"
) -> AuditResult:
    """Generated pairs must have replies of exactly equal token counts under the tokenizer the generator balanced
    them for: hard, since a length gap biases every log-prob margin. `data["within"]` is the fraction of equal
    pairs; the ±20% ratio statistics stay in the data (`within_tolerance`, quantiles, worst rows) for the card."""
    generated = [s for s in scenarios if "situation" in s.meta]
    if not generated:
        return AuditResult(name, True, hard, "no generated scenarios (meta.situation); not applicable", {})
    if tokenizer is None:
        return AuditResult(name, False, False, "no tokenizer given; lengths not measured", {})
    rows = _length_rows(generated, tokenizer)
    lm = _length_stats(rows)
    unequal = [{"id": i, "honest": h, "deceptive": d} for i, _, h, d in rows if h != d]
    equal = 1 - len(unequal) / len(rows)
    q = lm["ratio_quantiles"]
    ok = not unequal
    detail = (
        f"{equal:.1%} of {lm['n']} pairs have equal reply token counts (need 100%); "
        f"{lm['within']:.1%} within ±{LENGTH_TOLERANCE:.0%}; "
        f"deceptive/honest ratio {q['min']:.2f}–{q['max']:.2f}, median {q['p50']:.2f}"
    )
    if unequal:
        detail += "; e.g. " + ", ".join(f"{u['id']} ({u['deceptive']}/{u['honest']})" for u in unequal[:3])
    data = {**lm, "within_tolerance": lm["within"], "within": equal, "required": 1.0, "unequal": unequal[:20]}
    return AuditResult(name, ok, hard, detail, data)


def audit_reply_range(
    scenarios: list[Scenario], tokenizer, lo: int = REPLY_TOKENS[0], hi: int = REPLY_TOKENS[1]
) -> AuditResult:
    """Generated replies should be short sentences (soft): long replies dilute the fact that differs."""
    generated = [s for s in scenarios if "situation" in s.meta]
    if not generated or tokenizer is None:
        return AuditResult("reply_length", True, False, "no generated scenarios or no tokenizer; not applicable", {})
    lengths = count_tokens(tokenizer, [r for s in generated for r in (s.honest, s.deceptive)])
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


# ---------------------------------------------------------------- reply-only cues


def _non_twin(scenarios: Iterable[Scenario]) -> list[Scenario]:
    """Scenarios that are not a counterfactual twin (same two texts, labels swapped): a twin would cancel
    every cue of its original in training and score the opposite way in testing, hiding what the texts say."""
    return [s for s in scenarios if not s.meta.get("twin", False)]


def _reply_features(text: str) -> list[str]:
    """The reply-only classifier's features: lowercase word unigrams and bigrams, and each word's character
    3- to 5-grams with its boundaries marked (" mis", "ed ", "n't "). Span words belong to one situation
    each, so whole words never carry from training to eval; a cue inside words (a prefix, a tense, a
    negation) does, and the character n-grams see it."""
    words = re.findall(r"[a-z0-9']+", text.lower())
    chars = [CHARS + f" {w} "[i : i + n] for w in words for n in (3, 4, 5) for i in range(len(w) + 3 - n)]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])] + chars


CHARS = "chars:"  # marks a character n-gram feature (a word feature never holds a colon)


def reply_only_baseline(
    splits: dict[str, list[Scenario]],
    hard: bool = True,
    max_accuracy: float = REPLY_ONLY_MAX_ACCURACY,
    alpha: float = REPLY_ONLY_ALPHA,
) -> AuditResult:
    """A classifier that reads only the replies must not tell which one is deceptive.

    Multinomial naive Bayes (Laplace smoothing, alpha 1) over `_reply_features`, fitted on the
    replies of every split except eval (label 1: the deceptive text, 0: the honest one), tested on eval:
    per pair it picks the reply with the higher log-odds of being deceptive (a tie counts half). Twins are
    left out of both. Fails when it picks the deceptive reply in more than `max_accuracy` of the eval pairs and
    a sign test over the independent units (a generated situation's pairs share their decision words, so they
    lean one way together) rejects chance at `alpha`: then a log-prob margin can come from the words
    alone. `hard=False` for external data (a flag, not a stop).
    """
    name = "reply_only_baseline"
    train = [s for split, ss in splits.items() if split != "eval" for s in _non_twin(ss)]
    test = _non_twin(splits.get("eval", []))
    if not test or not train:
        missing = "no eval pairs" if not test else "no training replies outside eval"
        return AuditResult(name, True, hard, f"{missing} (twins left out); not applicable", {})
    counts = {0: Counter(), 1: Counter()}
    for s in train:
        counts[0].update(_reply_features(s.honest))
        counts[1].update(_reply_features(s.deceptive))
    vocab = set(counts[0]) | set(counts[1])
    denom = {c: sum(counts[c].values()) + len(vocab) for c in (0, 1)}
    llr = {f: math.log((counts[1][f] + 1) / denom[1]) - math.log((counts[0][f] + 1) / denom[0]) for f in vocab}
    # Each scenario gives one reply of each class, so the prior log-odds are 0 and the pair comparison ignores them.

    def log_odds(text: str) -> float:
        return sum(llr.get(f, 0.0) for f in _reply_features(text))

    by_unit: dict[str, list[float]] = {}  # a situation's pairs share their decision words: they go one way
    for s in test:
        d, h = log_odds(s.deceptive), log_odds(s.honest)
        pick = 0.5 if math.isclose(d, h, rel_tol=1e-12, abs_tol=1e-9) else float(d > h)
        by_unit.setdefault(s.meta.get("situation", s.id), []).append(pick)
    accuracy = sum(sum(v) for v in by_unit.values()) / len(test)
    # A sign test over the independent units (situations in generated data, else pairs): how often coins would
    # give at least as many leaning deceptive. With few eval situations the accuracy swings widely by chance.
    # Units that lean neither way are left out, as a sign test leaves out ties.
    leaning = [m > 0.5 for m in (sum(v) / len(v) for v in by_unit.values()) if m != 0.5]
    n, k = len(leaning), sum(leaning)
    unit = "situations" if any("situation" in s.meta for s in test) else "pairs"
    p_chance = sum(math.comb(n, i) for i in range(k, n + 1)) / 2**n
    # With n units the sign test's smallest p is 2^-n: at n <= 4 (one or two behaviors' eval situations) it can
    # never reject chance at 0.05, so the audit is reported and not enforced, as the null-model check is.
    enforceable = 2.0**-n < alpha
    # strongest first; on a tie a word before the character n-grams inside it ("never" before " nev")
    top = sorted(vocab, key=lambda f: (-abs(llr[f]), -(counts[0][f] + counts[1][f]), f.startswith(CHARS), f))[:10]
    cues = [
        {
            "ngram": f.removeprefix(CHARS),
            "inside_words": f.startswith(CHARS),
            "log_ratio": round(llr[f], 3),
            "deceptive": counts[1][f],
            "honest": counts[0][f],
        }
        for f in top
    ]
    ok = accuracy <= max_accuracy or (enforceable and p_chance >= alpha)
    shown = ", ".join(
        f"'{c['ngram']}'{' in words' if c['inside_words'] else ''} ({c['deceptive']} deceptive/{c['honest']} honest)"
        for c in cues[:5]
    )
    detail = (
        f"a classifier that reads only the replies picks the deceptive one in {accuracy:.0%} of {len(test)} eval "
        f"pairs (fails above {max_accuracy:.0%} if a sign test over the {n} eval {unit} that lean one way says it "
        f"is not chance, p < {alpha}; here p={p_chance:.3f}); strongest cues: {shown}"
    ) + (
        ""
        if enforceable
        else f"; {n} {unit} are too few for the sign test to reject chance at {alpha}: reported, not enforced"
    )
    data = {
        "accuracy": accuracy,
        "n_eval_units": n,
        "n_eval_pairs": len(test),
        "n_train_replies": 2 * len(train),
        "max_accuracy": max_accuracy,
        "p_chance": p_chance,
        "enforceable": enforceable,
        "top_cues": cues,
    }
    return AuditResult(name, ok, hard and enforceable, detail, data)


_QUANTIFIERS = re.compile(
    r"\b(never|every|all|always|any|anything|none|nothing|nobody|everything|each|as usual)\b", re.I
)
_ADMISSION = re.compile(r"\bI (did|have|had|was)\b|\b[Mm]yself\b|\bI [a-z]+ed\b")
_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATE = re.compile(rf"\b{_MONTHS}\.? \d{{1,2}}(?:st|nd|rd|th)?\b")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,:]\d+)*(?!\w)")
_NAME = re.compile(r"\b[A-Z][a-zA-Z'-]*[a-z][a-zA-Z'-]*(?: [A-Z][a-zA-Z'-]*[a-z][a-zA-Z'-]*)+\b")
SURFACE_FEATURES = ("opens_yes", "opens_no", "quantifier", "first_person_admission", "copies_context_fact")


def _copies_fact(text: str, context: str) -> bool:
    """The reply repeats a number, a date ("March 3") or a capitalised multi-word name from the context."""
    numbers = set(_NUMBER.findall(context))
    if any(n in numbers for n in _NUMBER.findall(text)):
        return True
    candidates = [m.group(0) for m in _DATE.finditer(text)]
    for m in _NAME.finditer(text):  # every run of two or more of its words: "Yes Dana Reyes" holds "Dana Reyes"
        words = m.group(0).split()
        candidates += [" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 2, len(words) + 1)]
    return any(re.search(rf"(?<!\w){re.escape(c)}(?!\w)", context) for c in candidates)


def surface_features(text: str, context: str) -> dict[str, bool]:
    """Surface properties of a reply that could, if one side has them more often, tell the sides apart.

    opens_yes / opens_no: the first word is yes / no. quantifier: never, every, all, always, any, anything,
    none, nothing, nobody, everything, each or "as usual". first_person_admission: "I did/have/had/was",
    "I <verb>ed" or "myself". copies_context_fact: a number, a date or a capitalised multi-word name that
    also appears in `context` (the joined message contents).
    """
    first = _opener(text)
    return {
        "opens_yes": first == "yes",
        "opens_no": first == "no",
        "quantifier": bool(_QUANTIFIERS.search(text)),
        "first_person_admission": bool(_ADMISSION.search(text)),
        "copies_context_fact": _copies_fact(text, context),
    }


def _context(s: Scenario) -> str:
    return "\n".join(m["content"] for m in s.messages)


def _balance_counts(splits: dict[str, list[Scenario]]) -> dict[str, dict[str, dict[str, int]]]:
    """split -> feature -> {"honest": replies with it, "deceptive": replies with it}, twins left out."""
    out = {}
    for split, ss in splits.items():
        table = {f: {"honest": 0, "deceptive": 0} for f in SURFACE_FEATURES}
        for s in _non_twin(ss):
            context = _context(s)
            for side, text in (("honest", s.honest), ("deceptive", s.deceptive)):
                for f, has in surface_features(text, context).items():
                    table[f][side] += has
        out[split] = table
    return out


def audit_balance(
    splits: dict[str, list[Scenario]], tolerance: float = BALANCE_TOLERANCE, min_gap: int = BALANCE_MIN_GAP
) -> AuditResult:
    """Hard: in each split, each surface feature is about as common among honest replies as among deceptive.

    A feature is unbalanced in a split of n scenarios (twins left out) when its honest and deceptive counts
    differ by more than max(min_gap, tolerance × n): then a model could pick by, say, the opening "Yes"
    there, whatever the other splits do.
    """
    counts = _balance_counts(splits)
    unbalanced = []
    for split, table in counts.items():
        n = len(_non_twin(splits[split]))
        limit = max(min_gap, tolerance * n)
        for f, c in table.items():
            if abs(c["honest"] - c["deceptive"]) > limit:
                unbalanced.append({"split": split, "feature": f, **c, "n": n, "limit": limit})
    if unbalanced:
        shown = ", ".join(
            f"{u['split']} {u['feature']} (honest {u['honest']}, deceptive {u['deceptive']} of {u['n']})"
            for u in unbalanced[:4]
        )
        more = f" and {len(unbalanced) - 4} more" if len(unbalanced) > 4 else ""
        detail = (
            f"unbalanced surface features: {shown}{more}; "
            f"allowed gap max({min_gap}, {tolerance:.0%} of the split's scenarios)"
        )
    else:
        detail = f"balanced in every split ({len(SURFACE_FEATURES)} surface features, {len(counts)} splits)"
    return AuditResult("surface_balance", not unbalanced, True, detail, {**counts, "unbalanced": unbalanced})


def balance_table(splits: dict[str, list[Scenario]]) -> str:
    """Markdown table for the dataset card: how many honest and deceptive replies have each surface feature."""
    lines = ["| split | feature | honest | deceptive |", "| --- | --- | ---: | ---: |"]
    for split, table in _balance_counts(splits).items():
        for f, c in table.items():
            lines.append(f"| {split} | {f} | {c['honest']} | {c['deceptive']} |")
    return "\n".join(lines) + "\n"


def _same_tokenizer(a, b) -> bool:
    try:
        return a.backend_tokenizer.to_str() == b.backend_tokenizer.to_str()
    except AttributeError:  # a slow tokenizer
        return a.get_vocab() == b.get_vocab()


def audit_splits(
    splits: dict[str, list[Scenario]], tokenizer, generated: bool = True, balanced_for=None
) -> list[AuditResult]:
    """Every audit that applies to these splits. `tokenizer` (the run's) may be None (length audits then say so).

    On external data (`generated=False`: MWE, the user's own files) the reply-cue audits are reported
    as warnings: the user may still want the numbers, but the card and the log say what they rest on.
    `balanced_for`: the tokenizer the generator balances reply token counts for (SmolLM2's,
    src.models.reference_tokenizer). The hard length audit reads it; another run tokenizer splits a few
    words differently, so its counts are a flag: on the committed data Llama-3's tokenizer gives equal
    counts for 92% of pairs, each other pair off by one token (docs/design.md, "Data format")."""
    everything = [s for ss in splits.values() for s in ss]
    balance = audit_balance(splits)
    results = [
        audit_template_disjoint(splits),
        audit_near_duplicates(splits),
        audit_length_match(everything, balanced_for or tokenizer),
        audit_reply_range(everything, tokenizer),
        audit_answer_balance(everything),
        reply_only_baseline(splits, hard=generated),
        balance if generated else replace(balance, hard=False),
    ]
    if balanced_for is not None and tokenizer is not None and not _same_tokenizer(tokenizer, balanced_for):
        results.append(audit_length_match(everything, tokenizer, hard=False, name="length_match_run_tokenizer"))
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
