"""Elicitation: for each checkpoint, attack variant, strength, draw seed and scenario, one scored row.

Rows are appended to `elicitation.jsonl` as they are scored and keyed, so a killed run resumes where it
stopped: rows already written are skipped, never duplicated, never lost.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, NamedTuple

from tqdm.auto import tqdm

from src.eval.attacks import ModelAttack, get_attack
from src.io import append_rows, atomic_write_text, read_rows
from src.lm.render import render
from src.lm.scoring import Request, Scorer, context_limit
from src.lm.vllm_scoring import VLLMScorer
from src.models import ModelConfig, checkpoint_info, load_model, load_tokenizer, merged_folder
from src.scenarios import Scenario

log = logging.getLogger(__name__)


class RowKey(NamedTuple):
    """What identifies one elicitation row: a resumed run skips the keys already written."""

    checkpoint: str
    attack: str
    control: bool
    strength: int
    seed: int
    scenario_id: str


def row_key(row: dict) -> RowKey:
    return RowKey(*(row[k] for k in RowKey._fields))


def checkpoint_label(checkpoint: str) -> str:
    """'base', or the training stage that made a checkpoint (with its step for intermediate ones)."""
    if checkpoint == "base":
        return "base"
    info = checkpoint_info(checkpoint) or {}
    name = Path(checkpoint).name
    label = info.get("label") or name
    return f"{label}@{name.split('-')[-1]}" if name.startswith("checkpoint-") else label


def variants(attack_cfg: Any) -> list[bool]:
    """[False] plus [True] when the attack's control runs too (control = same length, neutral content)."""
    return [False, True] if attack_cfg.control and attack_cfg.name != "none" else [False]


def plan(checkpoint: str, scenarios: list[Scenario], shots: list[Scenario], attack_cfg: Any) -> list[Request]:
    """Every request of one checkpoint, in strength order (so progress reads as the curve fills in).

    Counterfactual twins (scenario meta `twin`) are scored at the family's strength 0 only: they measure
    whether the checkpoint reads the evidence, not how the attack moves it."""
    attack = get_attack(attack_cfg.name)
    label = checkpoint_label(checkpoint)
    requests = []
    for k in sorted(attack_cfg.strengths):
        for seed in range(attack_cfg.seeds if k > 0 else 1):  # k=0 has nothing to draw
            for control in variants(attack_cfg):
                for s in scenarios:
                    if s.meta.get("twin") and (k > 0 or control):
                        continue
                    key = RowKey(label, attack_cfg.name, control, k, seed, s.id)
                    requests.append(
                        Request(key, attack.prompt(s, k, seed, control, shots, attack_cfg), s.honest, s.deceptive)
                    )
    return requests


def model_variants(
    cfg: Any, checkpoint: str, todo: list[Request], by_id: dict[str, Scenario], shots: list[Scenario], out_dir: Path
) -> list[tuple[str, list[Request]]]:
    """Which weights score which requests: the checkpoint itself, or, for a family that changes the model
    rather than the prompt (a ModelAttack, e.g. finetune), one adapted copy per strength, seed,
    variant and behavior fold."""
    attack = get_attack(cfg.attack.name)
    if not isinstance(attack, ModelAttack):
        return [(checkpoint, todo)]
    folds = attack.folds(sorted({s.behavior for s in by_id.values()}), cfg.attack)
    out = []
    for k, seed, control in sorted({(r.key.strength, r.key.seed, r.key.control) for r in todo}):
        for fold in folds:
            reqs = [
                r
                for r in todo
                if (r.key.strength, r.key.seed, r.key.control) == (k, seed, control)
                and by_id[r.key.scenario_id].behavior in fold
            ]
            if reqs:
                path = (
                    checkpoint
                    if k == 0
                    else attack.adapt(
                        cfg,
                        checkpoint,
                        k,
                        seed,
                        control,
                        fold,
                        shots,
                        out_dir / "adapted" / checkpoint_label(checkpoint),
                    )
                )
                out.append((path, reqs))
    return out


def elicit(cfg: Any, out_dir: Path, checkpoints: list[str], scenarios: list[Scenario], shots: list[Scenario]) -> Path:
    rows_path = out_dir / "elicitation.jsonl"
    done = {row_key(r) for r in read_rows(rows_path)}
    by_id = {s.id: s for s in scenarios}
    mc = ModelConfig.from_cfg(cfg.model)
    tokenizer = load_tokenizer(mc)
    skipped = []
    held = None  # (weights, model) last scored
    for checkpoint in checkpoints:
        planned = plan(checkpoint, scenarios, shots, cfg.attack)
        todo = [r for r in planned if r.key not in done]
        _keep_prompts(out_dir, tokenizer, todo)
        if not todo:
            log.info("checkpoint %s: all rows already scored", checkpoint)
            continue
        bar = tqdm(total=len(todo), desc=f"scoring {checkpoint_label(checkpoint)}", disable=None, mininterval=5)
        for weights, requests in model_variants(cfg, checkpoint, planned, by_id, shots, out_dir):
            if all(r.key in done for r in requests):
                continue
            if str(cfg.scoring.backend) == "vllm":
                model = None
                scorer = VLLMScorer(merged_folder(mc, weights, out_dir / "merged"), tokenizer, mc.max_context)
            else:
                model = load_model(mc, weights, reuse=held)
                # The next checkpoint merges into this model if this is its parent. A model attack trains copies
                # in between: nothing is held through that.
                held = None if isinstance(get_attack(cfg.attack.name), ModelAttack) else (weights, model)
                scorer = Scorer(
                    model,
                    tokenizer,
                    prefix_cache=cfg.scoring.prefix_cache,
                    max_batch_tokens=cfg.scoring.max_batch_tokens,
                    max_batch_rows=cfg.scoring.max_batch_rows,
                    max_tokens=mc.max_context,
                )
            buffer = []
            for req, score in scorer.score(requests, done):  # all planned: a resume repeats the same batches
                buffer.append(_row(req, score, by_id[req.key.scenario_id], checkpoint, weights))
                if len(buffer) >= 32:
                    append_rows(rows_path, buffer)
                    bar.update(len(buffer))
                    buffer = []
            append_rows(rows_path, buffer)
            bar.update(len(buffer))
            limit = scorer.limit if model is None else min(context_limit(model), mc.max_context or 10**9)
            skipped += [{"key": list(k), "tokens": n, "limit": limit} for k, n in scorer.skipped]
            if model is None:
                scorer.close()
            del model, scorer
        bar.close()
    if skipped:
        log.warning("%d prompts exceeded the model's context and were skipped (see skipped.json)", len(skipped))
        atomic_write_text(out_dir / "skipped.json", json.dumps(skipped, indent=1))
    return rows_path


def _row(req: Request, score, s: Scenario, checkpoint: str, weights: str) -> dict:
    """One scored row; `weights` is what was scored: the checkpoint, or its adapted copy (finetune)."""
    return {
        **req.key._asdict(),
        "checkpoint_path": checkpoint,
        "weights": weights,
        "behavior": s.behavior,
        "template": s.template,
        "situation": s.meta.get("situation", s.template),  # the unit the measurement CIs resample
        "prompt_tokens": score.prompt_tokens,
        "logp_deceptive": score.logp_deceptive,
        "logp_honest": score.logp_honest,
        "tokens_deceptive": score.tokens_deceptive,
        "tokens_honest": score.tokens_honest,
        "p_behavior": score.p_behavior,
        "p_behavior_norm": score.p_behavior_norm,
        "nll_deceptive": -score.logp_deceptive,
        "delta": score.delta,
        "delta_span": score.delta_span,
        "span_tokens_deceptive": score.span_tokens_deceptive,
        "span_tokens_honest": score.span_tokens_honest,
        "twin": bool(s.meta.get("twin", False)),
        "twin_id": s.meta.get("twin_id"),
    }


def _keep_prompts(out_dir: Path, tokenizer, requests: list[Request]) -> None:
    """One rendered prompt per (attack, variant, strength), so a reader sees exactly what the model saw."""
    folder = out_dir / "prompts"
    folder.mkdir(exist_ok=True)
    for r in requests:
        key: RowKey = r.key
        f = folder / f"{key.attack}{'_control' if key.control else ''}_k{key.strength}.txt"
        if key.seed == 0 and not f.exists():
            text = render(tokenizer, r.prompt.messages, r.prompt.prefill)
            f.write_text(f"{text}\n\n--- deceptive reply ---\n{r.deceptive}\n--- honest reply ---\n{r.honest}\n")
