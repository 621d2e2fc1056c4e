"""Scoring speed of a many-shot sweep: the prefix-cached scorer against the plain path and against the floor.

    python scripts/bench_elicit.py                  # 24 eval scenarios, k up to 32 (tens of minutes on 2 cores)
    python scripts/bench_elicit.py --uncached-subset 3      # time the plain path on 3 requests per stratum
    python scripts/bench_elicit.py --quick                  # 6 scenarios, k up to 4 (a few minutes)
    python scripts/bench_elicit.py --model-path DIR --skip-uncached     # any HF folder (e.g. on a GPU)

The sweep is what `python -m src.eval attack=many_shot` scores for one checkpoint: each eval scenario at
k in {0, 1, 2, 4, ..., max-k} demonstrations, 2 shot-draw seeds for k > 0, attack and control, on the
embedded SmolLM2-135M. Eval scenarios are taken one per eval template, templates in name order, so the
default 24 are the first three behaviors' 8 templates each (`--quick`'s 6: one behavior); demonstrations are
drawn per behavior from the shots split, as the eval stage draws them, so 8 scenarios share each draw. How
much a sweep shares sets what any scorer can save over the plain path: spread over all six behaviors, 24
scenarios would share less (4 per draw), a whole eval split more (the output prints the behaviors).

Three timings, in one process, after one warm-up forward:

* cached: `Scorer(prefix_cache=True).score(requests)`, tokenization included.
* uncached: `Scorer(prefix_cache=False)`, every prompt in full, once per reply. With --uncached-subset N
  only N requests per stratum (strength x attack/control, seeds and scenarios mixed) are scored, and the
  full-sweep time is extrapolated as the sum over strata of (mean time per request) x (requests in it);
  the output says so.
* floor: one forward pass over the sweep's unique tokens, actually run, timing only the model calls.
  "Unique tokens" are the nodes of the prefix tree of all scored sequences: the distinct shared
  contexts (as the scorer cuts them: `encode_all(...)` context_ids) form a tree, walked depth-first in
  sorted order, each context's tokens beyond its longest common prefix with the previous context
  encoded once (batch 1, attending to the cached prefix); then, for every request, its suffix followed
  by both replies as one batch-1 row (suffix + deceptive + honest) attending to its context's cache,
  with logits for the reply tokens only. Every unique token is thus processed once, with the
  attention to its own ancestors that any scorer must pay; building, cropping and copying caches is
  not timed. (The honest reply also attends to the deceptive one in that row: ~25 extra keys per
  token, which makes the floor slightly pessimistic for us.)

Targets: speed-up (uncached / cached) >= 10x, cached / floor <= 1.5x.

Clocks: the ratios use this process's CPU seconds (`time.process_time`), with one torch thread by
default. On a machine shared with other processes, wall time measures the neighbours as much as us
(a preempted thread stalls every parallel op of the others, and runs minutes apart see different
loads), while single-thread CPU time barely moves; wall seconds and load averages are printed beside.
On an idle machine with --threads 1 the two agree. On CUDA the CPU clock measures only the host (kernels
run asynchronously), so there every timing is wall time between `torch.cuda.synchronize()` calls, and the
ratios use it; the output names the clock it used.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import time
from collections import defaultdict

import torch
from omegaconf import OmegaConf

from src.data.generate import GenerateConfig, generate
from src.eval.elicit import plan
from src.lm.render import batch_token_ids, render
from src.lm.request import Request
from src.lm.scoring import Encoded, Scorer, _common, encode_all
from src.models import ModelConfig, load_model, load_tokenizer
from src.scenarios import Scenario

CUDA = torch.cuda.is_available()


def cache_kwarg(model) -> str:
    """The forward keyword that takes a KV cache: `cache` (transformers >= 5.2x) or `past_key_values` (older 5.x,
    which would silently ignore `cache=`)."""
    import inspect

    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def sweep(n_scenarios: int, max_k: int, seeds: int) -> tuple[list[Request], list[Scenario]]:
    strengths = [0] + [2**i for i in range(int(math.log2(max_k)) + 1)]
    per_template = max(2, math.ceil(max_k / 8), math.ceil(n_scenarios / 48))  # 8 shot templates per behavior
    splits = generate(GenerateConfig(scenarios_per_template=per_template))
    by_template: dict[str, list[Scenario]] = defaultdict(list)
    for s in splits["eval"]:
        if s.meta["twin"]:
            continue
        by_template[s.template].append(s)
    columns = [by_template[t] for t in sorted(by_template)]
    picked = [col[i] for i in range(per_template) for col in columns if i < len(col)][:n_scenarios]
    cfg = OmegaConf.create(
        {"name": "many_shot", "strengths": strengths, "seeds": seeds, "control": True, "cross_behavior": False}
    )
    return plan("base", picked, [s for s in splits["shots"] if not s.meta["twin"]], cfg), picked


@torch.inference_mode()
def floor_seconds(model, encoded: list[Encoded]) -> tuple[Clock, int]:
    """Time of the model calls over the unique tokens (see the module docstring), and their number."""
    from transformers import DynamicCache

    device = model.device
    cache_kw = cache_kwarg(model)
    groups: dict[tuple[int, ...], list[Encoded]] = defaultdict(list)
    for e in encoded:
        groups[tuple(e.context_ids)].append(e)
    spent, tokens, done = Clock(), 0, 0
    cache, cached = None, []

    def timed(ids: list[int], start: int, cache, keep: int) -> None:
        nonlocal spent, tokens
        x = torch.tensor([ids], device=device)
        pos = torch.arange(start, start + len(ids), device=device)[None]
        with spent:
            model(input_ids=x, position_ids=pos, use_cache=cache is not None, logits_to_keep=keep, **{cache_kw: cache})
        tokens += len(ids)

    for ctx in sorted(groups):
        ctx = list(ctx)
        keep = _common(cached, ctx)
        if cache is None or keep == 0:
            cache, cached = DynamicCache(config=model.config), []
        elif keep < len(cached):
            cache.crop(keep - len(cached))
            cached = cached[:keep]
        if len(ctx) > len(cached):
            timed(ctx[len(cached) :], len(cached), cache, 1)
            cached = ctx
        done += len(groups[tuple(ctx)])
        if done * 4 // len(encoded) > (done - len(groups[tuple(ctx)])) * 4 // len(encoded):
            print(f"  floor: {done}/{len(encoded)} requests, {spent.primary:.0f} s {Clock.unit} so far", flush=True)
        for e in groups[tuple(ctx)]:
            row = e.suffix_ids + e.deceptive_ids + e.honest_ids
            reply_logits = len(e.deceptive_ids) + len(e.honest_ids) + 1
            timed(row, len(ctx), cache if ctx else None, reply_logits)
            if ctx:
                cache.crop(-len(row))
    return spent, tokens


def stratified(requests: list[Request], per_stratum: int, seed: int = 0) -> dict[tuple, tuple[list[Request], int]]:
    """(strength, arm) -> (a seeded sample of its requests, how many it has)."""
    strata: dict[tuple, list[Request]] = defaultdict(list)
    for r in requests:
        strata[(r.key[3], r.key[2])].append(r)
    rng = random.Random(seed)
    return {k: (rng.sample(v, min(per_stratum, len(v))), len(v)) for k, v in sorted(strata.items())}


class Clock:
    """Accumulates CPU and wall seconds over `with clock:` blocks. `primary` is what the ratios use: CPU seconds
    on CPU; on CUDA, wall seconds between `torch.cuda.synchronize()` calls (the CPU clock sees only the host)."""

    unit = "GPU wall (synchronised)" if CUDA else "CPU"

    def __init__(self) -> None:
        self.cpu = self.wall = 0.0

    def __enter__(self) -> Clock:
        if CUDA:
            torch.cuda.synchronize()
        self._t = (time.process_time(), time.perf_counter())
        return self

    def __exit__(self, *exc) -> None:
        if CUDA:
            torch.cuda.synchronize()
        self.cpu += time.process_time() - self._t[0]
        self.wall += time.perf_counter() - self._t[1]

    @property
    def primary(self) -> float:
        return self.wall if CUDA else self.cpu

    def __str__(self) -> str:
        if CUDA:
            return f"{self.wall:8.1f} s GPU wall, synchronised ({self.cpu:.1f} s host CPU)"
        return f"{self.cpu:8.1f} s CPU ({self.wall:.1f} s wall)"


def tokenization_ratio(tok, requests: list[Request]) -> None:
    """The scorer's tokenization (each distinct turn once, ids joined) against tokenizing every text whole,
    on the texts the scorer tokenizes; the ids must be the same."""
    texts = [
        render(tok, r.prompt.messages, r.prompt.prefill, reply)
        for r in requests
        for reply in (None, r.deceptive, r.honest)
    ]
    with Clock() as turns:
        ids = batch_token_ids(tok, texts)
    with Clock() as whole:
        reference = tok(texts, add_special_tokens=False)["input_ids"]
    print(
        f"tokenization: {len(texts)} texts, {sum(map(len, reference))} tokens: turn by turn {turns.primary:.2f} s, "
        f"whole texts {whole.primary:.2f} s {Clock.unit}: {whole.primary / turns.primary:.1f}x; "
        f"ids {'identical' if ids == reference else 'DIFFER'}",
        flush=True,
    )


def timed_scores(scorer: Scorer, requests: list[Request]) -> tuple[Clock, dict]:
    clock = Clock()
    with clock:
        scores = {r.key: s for r, s in scorer.score(requests)}
    return clock, scores


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenarios", type=int, default=24, help="eval scenarios (spread over templates)")
    ap.add_argument("--max-k", type=int, default=32, help="largest shot count; strengths 0, 1, 2, 4, ..., max-k")
    ap.add_argument("--seeds", type=int, default=2, help="shot-draw seeds for k > 0")
    ap.add_argument("--model", default="smollm2_135m", help="a conf/model name (smollm2_135m, tiny_random)")
    ap.add_argument(
        "--model-path",
        metavar="DIR",
        help="an HF model folder instead of --model (loaded as model=hf with smollm2_generation.jinja)",
    )
    ap.add_argument(
        "--uncached-subset",
        type=int,
        default=0,
        metavar="N",
        help="time the plain path on N requests per (strength, attack/control) stratum and extrapolate (0: all)",
    )
    ap.add_argument("--skip-uncached", action="store_true", help="time only the cached path and the floor")
    ap.add_argument(
        "--max-batch-tokens", type=int, default=None, help="the Scorer's tokens per forward (default: its own)"
    )
    ap.add_argument(
        "--threads", type=int, default=None, help="torch threads (default 1 on CPU, where ratios use CPU time)"
    )
    ap.add_argument("--quick", action="store_true", help="6 scenarios, k up to 4")
    a = ap.parse_args()
    if a.quick:
        a.scenarios, a.max_k = 6, 4
    torch.manual_seed(0)
    if a.threads or not CUDA:
        torch.set_num_threads(a.threads or 1)
    print(
        f"torch threads {torch.get_num_threads()}, load average at start {os.getloadavg()[0]:.2f}; "
        f"ratios use {Clock.unit} seconds",
        flush=True,
    )

    if a.model_path:
        mc = ModelConfig(kind="hf", name_or_path=a.model_path, chat_template="smollm2_generation.jinja")
    else:
        mc = ModelConfig.from_cfg(a.model)
    t = time.perf_counter()
    model, tok = load_model(mc), load_tokenizer(mc)
    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"model: {mc.name_or_path} ({n_params / 1e6:.1f} M parameters, {model.dtype}, {model.device}, "
        f"attention {getattr(model.config, '_attn_implementation', '?')}), loaded in {time.perf_counter() - t:.1f} s",
        flush=True,
    )
    requests, picked = sweep(a.scenarios, a.max_k, a.seeds)
    with torch.inference_mode():  # warm-up: the first forward of a process is slow
        model(input_ids=torch.ones(1, 64, dtype=torch.long, device=model.device))
        if CUDA:
            torch.cuda.synchronize()

    t = time.perf_counter()
    encoded = encode_all(tok, requests)  # as the Scorer does: each distinct turn tokenized once
    t_encode = time.perf_counter() - t
    tokenization_ratio(tok, requests)
    behaviors = len({s.behavior for s in picked})
    contexts = {tuple(e.context_ids) for e in encoded}
    prompt_tokens = sum(e.prompt_tokens for e in encoded)
    print(
        f"sweep: {len(picked)} eval scenarios over {behaviors} behaviors, {len(requests)} requests "
        f"(k up to {a.max_k}, {a.seeds} seeds, attack + control), {len(contexts)} distinct contexts, "
        f"longest prompt {max(e.prompt_tokens for e in encoded)} tokens, {prompt_tokens} prompt tokens in all; "
        f"tokenizing all of it takes {t_encode:.1f} s",
        flush=True,
    )

    kw = {} if a.max_batch_tokens is None else {"max_batch_tokens": a.max_batch_tokens}
    cached = Scorer(model, tok, prefix_cache=True, **kw)
    t_cached, s_cached = timed_scores(cached, requests)
    print(f"cached:   {t_cached}  ({len(s_cached)} scored, {len(cached.skipped)} skipped)", flush=True)

    t_floor, unique = floor_seconds(model, encoded)
    print(
        f"floor:    {t_floor}  (one forward over {unique} unique tokens: each context-tree token once, "
        f"then each request's suffix + both replies once)",
        flush=True,
    )
    over_floor = t_cached.primary / t_floor.primary
    if CUDA:
        flops = 2 * n_params * unique
        print(
            f"floor throughput: {unique / t_floor.wall:.0f} tokens/s; cached {unique / t_cached.wall:.0f} unique "
            f"tokens/s = {flops / t_cached.wall / 1e12:.1f} TFLOP/s by 2·N·tokens (N = {n_params})",
            flush=True,
        )

    if a.skip_uncached:
        print(
            f"RESULT many-shot sweep ({len(requests)} requests, k<={a.max_k}, {len(picked)} scenarios, "
            f"{unique} unique tokens): {Clock.unit} seconds: cached {t_cached.primary:.1f}, "
            f"floor {t_floor.primary:.1f} -> cached/floor {over_floor:.2f}x (target <= 1.5x): "
            f"{'PASS' if over_floor <= 1.5 else 'MISS'} (uncached path skipped)"
        )
        return

    plain = Scorer(model, tok, prefix_cache=False, **kw)
    worst = 0.0
    if a.uncached_subset:
        t_plain, n_timed = Clock(), 0
        for (k, arm), (sample, n) in stratified(requests, a.uncached_subset).items():
            dt, s_plain = timed_scores(plain, sample)
            t_plain.cpu += dt.cpu / len(sample) * n
            t_plain.wall += dt.wall / len(sample) * n
            n_timed += len(sample)
            worst = max(
                [worst]
                + [
                    max(
                        abs(s_plain[r].logp_deceptive - s_cached[r].logp_deceptive),
                        abs(s_plain[r].logp_honest - s_cached[r].logp_honest),
                    )
                    for r in s_plain
                ]
            )
            print(
                f"  uncached k={k:<3} {arm:<7}: {dt.primary / len(sample):7.2f} s "
                f"{Clock.unit} per request x {n} requests",
                flush=True,
            )
        how = f"EXTRAPOLATED from a stratified subset of {n_timed} of {len(requests)} requests"
    else:
        t_plain, s_plain = timed_scores(plain, requests)
        worst = max(
            max(
                abs(s_plain[r].logp_deceptive - s_cached[r].logp_deceptive),
                abs(s_plain[r].logp_honest - s_cached[r].logp_honest),
            )
            for r in s_plain
        )
        how = "measured on the full sweep"
    print(f"uncached: {t_plain}  ({how}); largest |cached - uncached| log-prob: {worst:.2e}", flush=True)

    speedup = t_plain.primary / t_cached.primary
    ok = speedup >= 10 and over_floor <= 1.5
    print(
        f"load average at end {os.getloadavg()[0]:.2f}; by wall time: speed-up {t_plain.wall / t_cached.wall:.1f}x, "
        f"cached/floor {t_cached.wall / t_floor.wall:.2f}x"
    )
    print(
        f"RESULT many-shot sweep ({len(requests)} requests, k<={a.max_k}, {len(picked)} scenarios, "
        f"{unique} unique tokens): {Clock.unit} seconds: cached {t_cached.primary:.1f}, uncached "
        f"{t_plain.primary:.1f}{' (extrapolated)' if a.uncached_subset else ''}, floor {t_floor.primary:.1f} -> "
        f"speed-up {speedup:.1f}x (target >= 10x), cached/floor {over_floor:.2f}x "
        f"(target <= 1.5x): {'PASS' if ok else 'MISS'}"
    )


if __name__ == "__main__":
    main()
