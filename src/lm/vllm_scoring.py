"""`scoring.backend=vllm`: the same paired log-probs as src.lm.scoring.Scorer, from vLLM's prompt log-probs.

Each request becomes two sequences (prompt + deceptive reply, prompt + honest reply), generated for one
token with `prompt_logprobs=0`, which returns the log-prob of every prompt token as written; the reply's sum
is read off the reply's positions. Unlike the HF scorer's packed prefix tree, this does not share the
demonstrations' work between requests: vLLM's V1 engine skips reading its prefix cache for any request
that asks for prompt log-probs (`SamplingParams.skip_reading_prefix_cache`), so every sequence is encoded in
full, in vLLM's large batches. The weights load in fp32, as src.models.plain_weights merged them. The HF
scorer reads `model.dtype` (bf16 under `auto` on a bf16 GPU), so where it too runs in fp32 the two backends
should read the same numbers up to kernel rounding (not measured: see below); an eval run records the dtype
it scored in, and a resume in another is refused. vLLM is an optional dependency for CUDA machines,
imported only here.

Not run in this project's checks: vLLM is not on the lent GPU image and its wheel is larger than what can
be carried there. `tests/test_scoring.py` checks only that choosing it without CUDA or without vLLM fails
with one clear line.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import AbstractSet as Set
from typing import Any, Iterable, Iterator

from src import TrainoutError
from src.lm.request import Request, Score
from src.lm.scoring import Scorer, encode


def require_vllm() -> None:
    """Fail before any work, in one line, where vLLM cannot run."""
    import torch

    if not torch.cuda.is_available():
        raise TrainoutError("scoring.backend=vllm needs a CUDA GPU; on this machine use scoring.backend=hf")
    if importlib.util.find_spec("vllm") is None:
        raise TrainoutError("scoring.backend=vllm needs vLLM installed (pip install vllm), or use scoring.backend=hf")


@dataclass
class VLLMScorer:
    """Scores requests with vLLM over a folder of merged weights (src.models.merged_folder)."""

    folder: str
    tokenizer: Any
    max_tokens: int | None = None  # the engine's max_model_len (None: the model's own context)
    dtype: str = "auto"  # torch dtype name; the eval stage passes float32 (src.models.plain_weights)
    gpu_memory_utilization: float | None = None  # None: 0.85 of the GPU, or less if less is free now
    trust_remote_code: bool = False  # model.trust_remote_code: an architecture whose code ships with the model
    skipped: list = field(default_factory=list)

    def __post_init__(self) -> None:
        require_vllm()
        import torch
        from vllm import LLM

        if self.gpu_memory_utilization is None:  # vLLM refuses a share above what is free (a trainer's leftovers)
            free, total = torch.cuda.mem_get_info()
            self.gpu_memory_utilization = min(0.85, 0.95 * free / total)
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(self.folder, trust_remote_code=self.trust_remote_code)
        own = getattr(config, "max_position_embeddings", None)
        lengths = [n for n in (self.max_tokens, own) if n]  # vLLM refuses a max_model_len beyond the model's own
        self.llm = LLM(
            model=self.folder,
            tokenizer=self.folder,
            dtype=self.dtype,
            gpu_memory_utilization=self.gpu_memory_utilization,
            max_model_len=min(lengths) if lengths else None,
            trust_remote_code=self.trust_remote_code,
        )
        self.limit = self.llm.llm_engine.model_config.max_model_len

    def score(self, requests: Iterable[Request], done: Set = frozenset()) -> Iterator[tuple[Request, Score]]:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        todo, seqs = [], []
        for r in requests:
            e = encode(self.tokenizer, r)
            need = e.prompt_tokens + max(len(e.deceptive_ids), len(e.honest_ids))
            if need >= self.limit:  # vLLM generates one token after the sequence, and that token must fit too
                self.skipped.append((r.key, need))
            elif r.key not in done:
                prompt = e.context_ids + e.suffix_ids
                todo.append(e)
                seqs += [prompt + e.deceptive_ids, prompt + e.honest_ids]
        if not todo:
            return
        params = SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=0)
        outs = self.llm.generate([TokensPrompt(prompt_token_ids=s) for s in seqs], params, use_tqdm=False)
        for i, e in enumerate(todo):
            d = _reply_sums(outs[2 * i].prompt_logprobs, seqs[2 * i], len(e.deceptive_ids), e.span_deceptive)
            h = _reply_sums(outs[2 * i + 1].prompt_logprobs, seqs[2 * i + 1], len(e.honest_ids), e.span_honest)
            yield Scorer._result(e, d, h)

    def close(self) -> None:
        """Free the GPU for the next checkpoint's engine."""
        import gc

        import torch

        del self.llm
        gc.collect()
        torch.cuda.empty_cache()


def _reply_sums(prompt_logprobs: list, ids: list[int], n: int, span: tuple[int, int]) -> tuple[float, float]:
    """(sum over the last n tokens, over the span's) of the log-probs vLLM returned for the prompt as written."""
    reply = [prompt_logprobs[t][ids[t]].logprob for t in range(len(ids) - n, len(ids))]
    return sum(reply), sum(reply[span[0] : span[1]])
