"""The dataset card: what a data run produced, in a form a reader can check against the run's claims.

Deterministic (no timestamps), so the same config gives a byte-identical card.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, is_dataclass
from statistics import mean
from typing import Any

from src.data.audit import AuditResult, count_tokens, length_match, prompt_tokens
from src.data.generate import GENERATOR_VERSION
from src.scenarios import Scenario


def _stats(values: list[int]) -> str:
    return f"{mean(values):.1f} | {min(values)} | {max(values)}" if values else "– | – | –"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def dataset_card(splits: dict[str, list[Scenario]], cfg: Any, audits: list[AuditResult], tokenizer) -> str:
    """Markdown card: counts, templates per split, token lengths, length match, config and audits."""
    config = asdict(cfg) if is_dataclass(cfg) else dict(cfg)
    names = list(splits)
    everything = [s for ss in splits.values() for s in ss]
    behaviors = sorted({s.behavior for s in everything})
    lines = [
        "# Dataset card",
        "",
        f"- generator version: {GENERATOR_VERSION}",
        f"- seed: {config.get('seed')}",
        f"- preset: {config.get('preset')}",
        f"- scenarios: {len(everything)} in {len(names)} splits, "
        f"{len({s.template for s in everything})} templates, {len(behaviors)} behaviors",
        "- config: " + ", ".join(f"{k}={v}" for k, v in sorted(config.items())),
        "",
        "Splits never share a template: evaluation and shot splits hold situations that training never saw.",
        "",
        "## Scenarios per behavior and split",
        "",
        "| behavior | " + " | ".join(names) + " | total |",
        "| --- | " + " | ".join("---:" for _ in names) + " | ---: |",
    ]
    counts = {n: Counter(s.behavior for s in splits[n]) for n in names}
    for b in behaviors:
        row = [counts[n][b] for n in names]
        lines.append(f"| {b} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    lines.append("| **all** | " + " | ".join(str(len(splits[n])) for n in names) + f" | {len(everything)} |")

    lines += ["", "## Templates per split", ""]
    for n in names:
        templates = sorted({s.template for s in splits[n]})
        lines.append(f"- **{n}** ({len(templates)}): " + (", ".join(f"`{t}`" for t in templates) or "none"))

    if tokenizer is not None and everything:
        lines += [
            "",
            "## Token lengths",
            "",
            "Prompt = the messages through the model's chat template with a generation prompt; "
            "replies on their own, without special tokens.",
            "",
            "| split | n | prompt mean | min | max | honest mean | min | max | deceptive mean | min | max |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for n in names:
            ss = splits[n]
            p = [prompt_tokens(tokenizer, s.messages) for s in ss]
            h = [count_tokens(tokenizer, s.honest) for s in ss]
            d = [count_tokens(tokenizer, s.deceptive) for s in ss]
            lines.append(f"| {n} | {len(ss)} | {_stats(p)} | {_stats(h)} | {_stats(d)} |")
        lm = length_match(everything, tokenizer)
        q = lm["ratio_quantiles"]
        lines += [
            "",
            "## Length match (deceptive / honest reply tokens)",
            "",
            f"{lm['within']:.1%} of {lm['n']} pairs within ±{lm['tolerance']:.0%}.",
            "",
            "| min | p05 | p25 | median | p75 | p95 | max |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            "| " + " | ".join(f"{q[k]:.2f}" for k in ("min", "p05", "p25", "p50", "p75", "p95", "max")) + " |",
        ]
        if lm["worst"]:
            lines += [
                "",
                "Furthest from 1: "
                + ", ".join(f"`{w['id']}` {w['ratio']:.2f} ({w['deceptive']}/{w['honest']})" for w in lm["worst"][:3]),
            ]

    lines += ["", "## Audits", "", "| audit | result | hard | detail |", "| --- | --- | --- | --- |"]
    for a in audits:
        lines.append(f"| {a.name} | {a.status} | {'yes' if a.hard else 'no'} | {_cell(a.detail)} |")
    return "\n".join(lines) + "\n"
