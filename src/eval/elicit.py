"""Elicitation: for each checkpoint, attack arm, strength, draw seed and scenario, one scored row.

Rows are appended to `elicitation.jsonl` as they are scored and keyed, so a killed run resumes where it
stopped: rows already written are skipped, never duplicated, never lost.
"""

from __future__ import annotations

import functools
import gc
import json
import logging
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple

from tqdm.auto import tqdm

from src.eval.attacks import ATTACKS, ModelAttack, get_attack
from src.eval.attacks.base import ATTACK_ARM, CONTROL_ARM, NEUTRAL_ARM, arm_of
from src.io import append_rows, atomic_write_text, read_rows
from src.lm.render import render, token_counter
from src.lm.request import Request
from src.lm.scoring import Scorer, context_limit
from src.lm.vllm_scoring import VLLMScorer
from src.models import (
    CheckpointLoader,
    ModelConfig,
    checkpoint_label,
    load_tokenizer,
    merged_folder,
)
from src.scenarios import Scenario, spread

log = logging.getLogger(__name__)


class RowKey(NamedTuple):
    """What identifies one elicitation row: a resumed run skips the keys already written."""

    checkpoint: str
    attack: str
    arm: str  # attack | control | neutral (src.eval.attacks.base)
    strength: int
    seed: int
    scenario_id: str


def row_key(row: dict) -> RowKey:
    return RowKey(*(arm_of(row) if k == "arm" else row[k] for k in RowKey._fields))


def arms(attack_cfg: Any) -> list[str]:
    """The arms scored: the attack; its same-length control (`attack.control`) and its neutral arm
    (`attack.neutral`: same length and setting, no honesty content), each where the family has one. A family
    without a neutral arm ignores `attack.neutral=true` with a warning (the pipeline's k=0 pass with attack
    `none` inherits the many-shot value, as it inherits `control`)."""
    family = get_attack(attack_cfg.name)
    out = [ATTACK_ARM]
    if attack_cfg.get("control", False) and CONTROL_ARM in family.arms:
        out.append(CONTROL_ARM)
    if attack_cfg.get("neutral", False):
        if NEUTRAL_ARM in family.arms:
            out.append(NEUTRAL_ARM)
        elif family.arms != (ATTACK_ARM,):  # `none` has no reference arm of any kind: nothing to say
            _no_neutral_arm(attack_cfg.name)
    return out


@functools.cache
def _no_neutral_arm(name: str) -> None:
    having = ", ".join(n for n, a in ATTACKS.items() if NEUTRAL_ARM in a.arms)
    log.warning("attack.neutral=true is ignored: the %s attack has no neutral arm (%s has one)", name, having)


def plan(
    checkpoint: str,
    scenarios: list[Scenario],
    shots: list[Scenario],
    attack_cfg: Any,
    attacked: bool = True,
    subset: set[str] | None = None,
    length: Callable[[str], int] = len,
) -> list[Request]:
    """Every request of one checkpoint, in strength order (so progress reads as the curve fills in).
    A checkpoint that is not `attacked` (a reference line such as base) is scored at the lowest strength only;
    `subset` (scenario ids, `attack.subset`): the only scenarios scored above strength 0; `length` counts a text in
    the scoring tokenizer (`render.token_counter`), for the arms fitted to the length of what they replace.

    Counterfactual twins (scenario meta `twin`) are scored at the family's strength 0 only, attack arm: they
    measure whether the checkpoint reads the evidence, not how the attack moves it. The reference arms (control,
    neutral) are scored at strengths above 0 only: at 0 nothing is drawn, so their prompt is the attack's, and
    their curves start from the attack's strength-0 rows (`summary.summarize`)."""
    attack = get_attack(attack_cfg.name)
    label = checkpoint_label(checkpoint)
    requests = []
    strengths = sorted(set(attack_cfg.strengths))  # a strength given twice is scored once
    for k in strengths if attacked else strengths[:1]:
        for seed in range(attack_cfg.seeds if k > 0 else 1):  # k=0 has nothing to draw
            for arm in arms(attack_cfg):
                if arm != ATTACK_ARM and k == 0:
                    continue
                for s in scenarios:
                    if s.meta.get("twin") and (k > 0 or arm != ATTACK_ARM):
                        continue
                    if k > 0 and subset is not None and s.id not in subset:
                        continue
                    key = RowKey(label, attack_cfg.name, arm, k, seed, s.id)
                    requests.append(
                        Request(key, attack.prompt(s, k, seed, arm, shots, attack_cfg, length), s.honest, s.deceptive)
                    )
    return requests


def is_attacked(cfg: Any, checkpoint: str) -> bool:
    """Whether `attacked` (labels; null = all) names the checkpoint: `align` also names align@2, align@4, ...,
    the intermediate checkpoints of a trajectory run (experiment=steps_trajectory)."""
    label = checkpoint_label(checkpoint)
    return cfg.get("attacked") is None or label in cfg.attacked or label.split("@")[0] in cfg.attacked


def model_variants(
    cfg: Any,
    checkpoint: str,
    planned: list[Request],
    by_id: dict[str, Scenario],
    shots: list[Scenario],
    out_dir: Path,
    done: set = frozenset(),
) -> Iterator[tuple[str, list[Request]]]:
    """Which weights score which requests: the checkpoint itself, or, for a family that changes the model
    rather than the prompt (a ModelAttack, e.g. finetune), one adapted copy per strength, seed, arm and
    behavior fold, trained when its turn comes (not all before the first row), and not at all when every
    request it would score is `done` already."""
    attack = get_attack(cfg.attack.name)
    if not isinstance(attack, ModelAttack):
        yield checkpoint, planned
        return
    folds = attack.folds(sorted({s.behavior for s in by_id.values()}), cfg.attack)
    for k, seed, arm in sorted({(r.key.strength, r.key.seed, r.key.arm) for r in planned}):
        for fold in folds:
            reqs = [
                r
                for r in planned
                if (r.key.strength, r.key.seed, r.key.arm) == (k, seed, arm)
                and by_id[r.key.scenario_id].behavior in fold
            ]
            if not reqs or all(r.key in done for r in reqs):
                continue
            workdir = out_dir / "adapted" / checkpoint_label(checkpoint)
            yield (checkpoint if k == 0 else attack.adapt(cfg, checkpoint, k, seed, arm, fold, shots, workdir)), reqs


def elicit(
    cfg: Any,
    out_dir: Path,
    checkpoints: list[str],
    scenarios: list[Scenario],
    shots: list[Scenario],
    models: CheckpointLoader | None = None,
) -> Path:
    """Score every planned row not yet in `<out_dir>/elicitation.jsonl`; `models` is the eval stage's loader,
    shared with its other passes so each checkpoint is loaded once."""
    rows_path = out_dir / "elicitation.jsonl"
    done = {row_key(r) for r in read_rows(rows_path, repair=True)}
    by_id = {s.id: s for s in scenarios}
    mc = ModelConfig.from_cfg(cfg.model)
    models = models or CheckpointLoader(mc)
    tokenizer = load_tokenizer(mc)
    length = token_counter(tokenizer)  # one per stage: the neutral arm's fitting is remembered per counter
    skipped = []
    n = cfg.attack.get("subset")
    # chosen with the data's seed: runs that differ only in the training seed attack the same scenarios
    subset = None if n is None else {s.id for s in spread(scenarios, n, cfg.data.seed)}
    for checkpoint in checkpoints:
        planned = plan(checkpoint, scenarios, shots, cfg.attack, is_attacked(cfg, checkpoint), subset, length)
        todo = [r for r in planned if r.key not in done]
        _keep_prompts(out_dir, tokenizer, todo)
        if not todo:
            log.info("checkpoint %s: all rows already scored", checkpoint)
            continue
        bar = tqdm(total=len(todo), desc=f"scoring {checkpoint_label(checkpoint)}", disable=None, mininterval=5)
        for weights, requests in model_variants(cfg, checkpoint, planned, by_id, shots, out_dir, done):
            if all(r.key in done for r in requests):
                continue
            if str(cfg.scoring.backend) == "vllm":
                model = None
                import torch

                models.held = None  # the engine takes the GPU's free memory: hold no HF model beside it
                gc.collect()
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
                folder = merged_folder(mc, weights, out_dir / "merged")
                # fp32, as plain_weights saved them (a bf16 merge would round a trained update away), base alike
                scorer = VLLMScorer(
                    folder, tokenizer, mc.max_context, dtype="float32", trust_remote_code=mc.trust_remote_code
                )
            else:
                # a model attack trains copies in between: nothing is held through that
                model = models.load(weights, hold=not isinstance(get_attack(cfg.attack.name), ModelAttack))
                scorer = Scorer(
                    model,
                    tokenizer,
                    prefix_cache=cfg.scoring.prefix_cache,
                    max_batch_tokens=cfg.scoring.max_batch_tokens,
                    max_batch_rows=cfg.scoring.max_batch_rows,
                    max_tokens=mc.max_context,
                )
            limit = scorer.limit if model is None else min(context_limit(model), mc.max_context or 10**9)
            buffer = []
            for req, score in scorer.score(requests, done):  # all planned: a resume repeats the same batches
                buffer.append(_row(req, score, by_id[req.key.scenario_id], checkpoint, weights, limit))
                if len(buffer) >= 32:
                    append_rows(rows_path, buffer)
                    bar.update(len(buffer))
                    buffer = []
            append_rows(rows_path, buffer)
            bar.update(len(buffer))
            skipped += [{"key": list(k), "tokens": n, "limit": limit} for k, n in scorer.skipped]
            if model is None:
                scorer.close()
            del model, scorer
        bar.close()
    if skipped:
        log.warning("%d prompts exceeded the model's context and were skipped (see skipped.json)", len(skipped))
        _add_skipped(out_dir / "skipped.json", skipped)
    return rows_path


def _row(req: Request, score, s: Scenario, checkpoint: str, weights: str, limit: int) -> dict:
    """One scored row; `weights` is what was scored: the checkpoint, or its adapted copy (finetune); `limit` is
    the context (tokens of prompt + reply) it had to fit, which the report reads for the largest k that fits."""
    return {
        **req.key._asdict(),
        "control": req.key.arm == CONTROL_ARM,  # what readers before the neutral arm filter on
        "checkpoint_path": checkpoint,
        "weights": weights,
        "behavior": s.behavior,
        "template": s.template,
        "situation": s.meta.get("situation", s.template),  # the unit the measurement CIs resample
        "prompt_tokens": score.prompt_tokens,
        "context_limit": limit,
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


def _add_skipped(path: Path, skipped: list[dict]) -> None:
    """Add to skipped.json what it does not list yet: one call per checkpoint, or a resumed run, keeps the
    entries written before."""
    entries = json.loads(path.read_text()) if path.exists() else []
    seen = {json.dumps(e["key"]) for e in entries}
    entries += [e for e in skipped if json.dumps(e["key"]) not in seen]
    atomic_write_text(path, json.dumps(entries, indent=1))


def _keep_prompts(out_dir: Path, tokenizer, requests: list[Request]) -> None:
    """One rendered prompt per (attack, arm, strength), so a reader sees exactly what the model saw."""
    folder = out_dir / "prompts"
    folder.mkdir(exist_ok=True)
    for r in requests:
        key: RowKey = r.key
        f = folder / f"{key.attack}{'' if key.arm == ATTACK_ARM else '_' + key.arm}_k{key.strength}.txt"
        if key.seed == 0 and not f.exists():
            text = render(tokenizer, r.prompt.messages, r.prompt.prefill)
            replies = f"--- deceptive reply ---\n{r.deceptive}\n--- honest reply ---\n{r.honest}\n"
            atomic_write_text(f, f"{text}\n\n{replies}")
