"""The dataset card: what a data run produced, in a form a reader can check against the run's claims.

Deterministic (no timestamps), so the same config gives a byte-identical card.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from statistics import mean
from typing import Any

from src.data.audit import AuditResult, count_tokens
from src.data.generate import GENERATOR_VERSION
from src.lm.render import rendered_tokens
from src.scenarios import Scenario


def _stats(values: list[int]) -> str:
    return f"{mean(values):.1f} | {min(values)} | {max(values)}" if values else "– | – | –"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _audit(audits: list[AuditResult], name: str) -> AuditResult | None:
    return next((a for a in audits if a.name == name), None)


GENERATED = (
    "A situation is one agentic setting with one yes/no fact about the agent's own conduct; its templates "
    "are its evidence forms x question forms. Splits never share a situation. The two replies share their "
    "frame and facts and differ in a short decision span at their start, with exactly equal token counts. "
    "Every template has a twin with the opposite evidence: the same question and replies, labels swapped. "
    "Training uses templates only; twins measure whether a model reads the evidence."
)
USER_DATA = (
    "Split from the user's file: each behavior's templates (its situations, where every row names one in "
    "meta.situation) are dealt to the splits in a seeded order, in proportion to data.split_situations; "
    "splits never share one. Nothing else is guaranteed by construction: reply lengths, surface cues and "
    "twins are what the file holds, and the audits below say what that is: flags, except template disjointness, "
    "near duplicates and, on rows that name a situation, equal reply token counts, which stop the run."
)


def dataset_card(
    splits: dict[str, list[Scenario]],
    cfg: Any,
    audits: list[AuditResult],
    tokenizer,
    probed: dict | None = None,
    source: str | None = None,
) -> str:
    """Markdown card: what is in each split, how the data guards against reply-text cues (balance, the
    reply-only baseline, the null model), what the run's model makes of it, token lengths and audits.
    `source`: the user's file the splits came from (None: the generator made them)."""
    config = asdict(cfg) if is_dataclass(cfg) else dict(cfg)
    names = list(splits)
    everything = [s for ss in splits.values() for s in ss]
    originals = [s for s in everything if not s.meta.get("twin")]
    behaviors = sorted({s.behavior for s in everything})
    named = {s.meta.get("situation") for s in originals} - {None}
    situations = f"{len(named)} situations" if named else "no situations named (meta.situation)"
    lines = [
        "# Dataset card",
        "",
        f"- source: {source}" if source else f"- generator version: {GENERATOR_VERSION}",
        f"- seed: {config.get('seed')}",
        f"- scenarios: {len(everything)} in {len(names)} splits ({len(originals)} from templates, "
        f"{len(everything) - len(originals)} counterfactual twins), {len({s.template for s in originals})} "
        f"templates ({len({s.template for s in everything})} with the twins' own), {situations}, "
        f"{len(behaviors)} behaviors",
        "- config: " + ", ".join(f"{k}={v}" for k, v in sorted(config.items())),
        "",
        USER_DATA if source else GENERATED,
        "",
        "## Templates per behavior and split (twins not counted)",
        "",
        "| behavior | " + " | ".join(names) + " |",
        "| --- | " + " | ".join("---:" for _ in names) + " |",
    ]
    for b in behaviors:
        row = [len({s.template for s in splits[n] if s.behavior == b and not s.meta.get("twin")}) for n in names]
        lines.append(f"| {b} | " + " | ".join(map(str, row)) + " |")
    lines += [
        "",
        "## Scenarios per split (templates + twins)",
        "",
        "| split | scenarios | twins |",
        "| --- | ---: | ---: |",
    ]
    for n in names:
        lines.append(f"| {n} | {len(splits[n])} | {sum(bool(s.meta.get('twin')) for s in splits[n])} |")

    lines += ["", "## Does the reply text give the label away?", ""]
    balance = _audit(audits, "surface_balance")
    if balance is not None:
        from src.data.audit import balance_table

        lines += [
            f"Surface features of the replies, per split (templates only): {balance.detail}.",
            "",
            balance_table(splits),
            "",
        ]
    baseline = _audit(audits, "reply_only_baseline")
    if baseline is not None:
        lines += [f"- Reply-only baseline: {baseline.detail}."]
    null = _audit(audits, "null_model")
    if null is not None:
        lines += [f"- Null model: {null.detail}."]

    if probed:
        rows = [m for m in probed["measurement"]]
        overall = next((m for m in rows if m["behavior"] == "all"), None)
        lines += [
            "",
            f"## What {probed['model']} makes of the eval split (as written; CIs resample situations, then scenarios)",
            "",
        ]
        if overall is not None:
            sens = overall["evidence_sensitivity"]
            verdict = {
                True: "reads the evidence",
                False: "does not read the evidence",
                None: "not measured (no twins)",
            }
            lines += [
                f"Median per-template |Δ|: {_num(overall['median_abs_template_delta'])} nats (target <= 2, so no "
                f"template is pinned at p = 0 or 1 by fluency). Evidence sensitivity: {_num(sens['mean'])} "
                f"{_ci(sens['ci'])} nats: the model {verdict[overall['reads_evidence']]}.",
                "",
                "| behavior | mean Δ | mean Δ_span | evidence sensitivity | median abs. template Δ |",
                "| --- | ---: | ---: | ---: | ---: |",
            ]
            for m in rows:
                lines.append(
                    f"| {m['behavior']} | {_num(m['delta']['mean'])} {_ci(m['delta']['ci'])} | "
                    f"{_num(m['delta_span']['mean'])} | {_num(m['evidence_sensitivity']['mean'])} "
                    f"{_ci(m['evidence_sensitivity']['ci'])} | {_num(m['median_abs_template_delta'])} |"
                )

    if tokenizer is not None and everything:
        lines += [
            "",
            "## Token lengths",
            "",
            "Prompt = the messages as the scorer renders them (src/lm/render.py); replies on their own.",
            "",
            "| split | n | prompt mean | min | max | honest mean | min | max | deceptive mean | min | max |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for n in names:
            ss = splits[n]
            if not ss:
                continue
            p = [rendered_tokens(tokenizer, s.messages) for s in ss]
            h = count_tokens(tokenizer, [s.honest for s in ss])
            d = count_tokens(tokenizer, [s.deceptive for s in ss])
            lines.append(f"| {n} | {len(ss)} | {_stats(p)} | {_stats(h)} | {_stats(d)} |")
        pairs = zip(
            count_tokens(tokenizer, [s.honest for s in everything]),
            count_tokens(tokenizer, [s.deceptive for s in everything]),
        )
        equal = sum(h == d for h, d in pairs)
        lines += ["", f"Replies with equal token counts: {equal} of {len(everything)} pairs."]

    lines += ["", "## Audits", "", "| audit | result | hard | detail |", "| --- | --- | --- | --- |"]
    for a in audits:
        lines.append(f"| {a.name} | {a.status} | {'yes' if a.hard else 'no'} | {_cell(a.detail)} |")
    return "\n".join(lines) + "\n"


def _num(x) -> str:
    return "—" if x is None else f"{x:.2f}"


def _ci(ci) -> str:
    return f"[{ci[0]:.2f}, {ci[1]:.2f}]" if ci and ci[0] is not None else ""
