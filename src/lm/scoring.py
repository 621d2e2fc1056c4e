"""Paired log-prob scoring (docs/design.md "Measuring a behavior"), packing the prompts' prefix tree.

For a prompt x and two replies, logp = sum of the reply's token log-probs under the model's chat
template; the reply's tokens are what rendering `messages + [assistant reply]` adds after the
rendered prompt.

Requests that share a context (many-shot demonstrations at one shot draw, a persona at one length) form
a prefix tree: context, then each request's suffix, then its two replies. The cached path packs nodes of
that tree into one sequence per forward pass, with a mask that lets each node see only its ancestors
(and positions that continue from its parent), so every token of the tree is encoded once and no padding
or cache copy is needed:
- many short contexts: their tails and all their requests share one row behind their common prefix;
- a long context: it is encoded once into a batch-1 KV cache, and its requests fill rows behind it.
The plain path (`prefix_cache=False`) runs every prompt in full, once per reply: the reference the
cached path must match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import AbstractSet as Set
from typing import Any, Iterable, Iterator

import torch

from src import TrainoutError
from src.lm.render import batch_token_ids, render, render_context
from src.lm.request import Request, Score

Sums = tuple[float, float]  # (whole reply, decision span) summed log-probs


@dataclass
class Encoded:
    request: Request
    context_ids: list[int]  # shared part (a prefix of prompt_ids, never all of it)
    suffix_ids: list[int]  # rest of the prompt
    deceptive_ids: list[int]
    honest_ids: list[int]
    span_deceptive: tuple[int, int] = (0, 0)  # [start, end) of the decision span within deceptive_ids
    span_honest: tuple[int, int] = (0, 0)

    @property
    def prompt_tokens(self) -> int:
        return len(self.context_ids) + len(self.suffix_ids)


def _common(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def decision_spans(a: list[int], b: list[int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """Where two token sequences differ: [start, end) in each, after their common prefix and before
    their common suffix (both spans empty when the sequences are equal)."""
    start = _common(a, b)
    n = min(len(a), len(b)) - start
    end = 0
    while end < n and a[len(a) - 1 - end] == b[len(b) - 1 - end]:
        end += 1
    return (start, len(a) - end), (start, len(b) - end)


def encode(tokenizer, req: Request) -> Encoded:
    return encode_all(tokenizer, [req])[0]


def encode_all(tokenizer, requests: list[Request]) -> list[Encoded]:
    """Tokenize requests: each prompt, prompt + each reply, and each distinct context, in one batched call
    that tokenizes each distinct turn once (`batch_token_ids`)."""
    texts, contexts = [], {}
    for r in requests:
        p = r.prompt
        texts += [render(tokenizer, p.messages, p.prefill, reply) for reply in (None, r.deceptive, r.honest)]
        if p.context and repr(p.context) not in contexts:  # messages are dicts: their repr is the key
            contexts[repr(p.context)] = render_context(tokenizer, list(p.context))
    ids = batch_token_ids(tokenizer, texts + list(contexts.values()))
    context_ids = dict(zip(contexts, ids[len(texts) :]))
    out = []
    for i, r in enumerate(requests):
        prompt_ids, replies = ids[3 * i], []
        for full in ids[3 * i + 1 : 3 * i + 3]:
            if full[: len(prompt_ids)] != prompt_ids:
                raise TrainoutError(
                    f"scenario {r.key}: the tokenized prompt is not a prefix of prompt+reply (the chat template or "
                    "a token merge changes the prompt's end); refusing to shift tokens silently"
                )
            replies.append(full[len(prompt_ids) :])
        ctx = 0
        if r.prompt.context:
            ctx = min(_common(context_ids[repr(r.prompt.context)], prompt_ids), len(prompt_ids) - 1)
        span_d, span_h = decision_spans(replies[0], replies[1])
        out.append(Encoded(r, prompt_ids[:ctx], prompt_ids[ctx:], replies[0], replies[1], span_d, span_h))
    return out


def sliding_window(config: Any) -> bool:
    """Whether any layer of the model attends through a sliding window."""
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    types = getattr(text, "layer_types", None)
    if types:
        return any(t != "full_attention" for t in types)
    return bool(getattr(text, "sliding_window", None)) and getattr(text, "use_sliding_window", True) is not False


def context_limit(model) -> int:
    return int(getattr(model.config, "max_position_embeddings", 0) or 10**9)


@dataclass
class Scorer:
    """Scores requests with one model; `prefix_cache=False` runs every prompt in full (the reference path)."""

    model: Any
    tokenizer: Any
    prefix_cache: bool = True
    max_batch_tokens: int | None = None  # tokens per forward pass; None = 4096 on a GPU, 1024 on CPU
    max_batch_rows: int = 16  # the plain path's rows per forward: bounds its logits (rows x reply tokens x vocab)
    max_tokens: int | None = None  # score at most this many tokens per prompt+reply (default: the model's context)
    skipped: list = field(default_factory=list)  # (key, prompt+reply tokens) over the context limit

    @property
    def batch_tokens(self) -> int:
        if self.max_batch_tokens:
            return self.max_batch_tokens
        return 4096 if self.model.device.type == "cuda" else 1024

    @torch.inference_mode()
    def score(self, requests: Iterable[Request], done: Set = frozenset()) -> Iterator[tuple[Request, Score]]:
        """Score every request whose key is not in `done`.

        Rows, batches and cache extensions are formed from all requests, done or not, so a resumed run
        does exactly the arithmetic an uninterrupted one did and its rows match to the last bit; a row or
        batch whose requests are all done is skipped.
        """
        limit = min(context_limit(self.model), self.max_tokens or 10**9)
        encoded = []
        for e in encode_all(self.tokenizer, list(requests)):
            need = e.prompt_tokens + max(len(e.deceptive_ids), len(e.honest_ids))
            if need > limit:
                self.skipped.append((e.request.key, need))
            else:
                encoded.append(e)
        if self.prefix_cache and self._packs:
            yield from self._cached(encoded, done)
        else:
            yield from self._plain(encoded, done)

    # --- reference path: every prompt in full, once per reply, in right-padded batches
    def _plain(self, encoded: list[Encoded], done: Set) -> Iterator[tuple[Request, Score]]:
        by_length = sorted(encoded, key=lambda e: e.prompt_tokens)  # similar lengths side by side: less padding
        for batch in self._batches(by_length):
            if all(e.request.key in done for e in batch):
                continue
            rows = []
            for e in batch:
                prompt = e.context_ids + e.suffix_ids
                rows += [
                    (prompt + e.deceptive_ids, len(e.deceptive_ids), e.span_deceptive),
                    (prompt + e.honest_ids, len(e.honest_ids), e.span_honest),
                ]
            sums = self._rows_logps(rows)
            for i, e in enumerate(batch):
                if e.request.key not in done:
                    yield self._result(e, sums[2 * i], sums[2 * i + 1])

    def _batches(self, encoded: list[Encoded]) -> Iterator[list[Encoded]]:
        """Consecutive requests (two rows each) while rows x widest row stays within the token budget and the
        rows within max_batch_rows."""
        batch, width = [], 0
        for e in encoded:
            w = e.prompt_tokens + max(len(e.deceptive_ids), len(e.honest_ids))
            rows = 2 * (len(batch) + 1)
            if batch and (rows * max(width, w) > self.batch_tokens or rows > self.max_batch_rows):
                yield batch
                batch, width = [], 0
            batch.append(e)
            width = max(width, w)
        if batch:
            yield batch

    def _rows_logps(self, rows: list[tuple[list[int], int, tuple[int, int]]]) -> list[Sums]:
        """rows: (token ids, number of trailing reply tokens, decision span within the reply). Sum the reply
        tokens' log-probs, and the span's.

        Right padding needs no attention mask: causal attention never lets a real token see the pads
        that follow it.
        """
        device = self.model.device
        width = max(len(ids) for ids, _, _ in rows)
        pad = self.tokenizer.pad_token_id or 0
        input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids, _, _ in rows], device=device)
        # Reply tokens of row i sit at [len-n, len); their logits come from [len-n-1, len-1).
        keep = max(width - (len(ids) - n - 1) for ids, n, _ in rows)
        logits = self.model(input_ids=input_ids, use_cache=False, logits_to_keep=keep).logits
        offset = width - keep
        sums = []
        for i, (ids, n, span) in enumerate(rows):
            idx = torch.arange(len(ids) - n - 1, len(ids) - 1, device=device) - offset
            sums.append(_sums(logits[i, idx], input_ids[i, len(ids) - n : len(ids)], span))
        return sums

    @property
    def _packs(self) -> bool:
        """Packing needs a custom 4D mask, which sdpa and eager attention take (flash attention does not: with
        it, the plain path runs). A model with sliding-window layers (Mistral, Gemma-2/3, Phi-3) runs the plain
        path too: transformers applies a given 4D mask as it is, so the packed rows would see past the window,
        and its sliding cache layers keep only the last window of the shared prefix."""
        config = self.model.config
        return getattr(config, "_attn_implementation", None) in ("sdpa", "eager") and not sliding_window(config)

    @staticmethod
    def _result(e: Encoded, d: Sums, h: Sums) -> tuple[Request, Score]:
        (sd, sh) = e.span_deceptive, e.span_honest
        return e.request, Score(
            e.prompt_tokens,
            d[0],
            h[0],
            len(e.deceptive_ids),
            len(e.honest_ids),
            d[1],
            h[1],
            sd[1] - sd[0],
            sh[1] - sh[0],
        )

    # --- cached path: the prefix tree of all prompts, packed into rows behind one batch-1 cache
    def _cached(self, encoded: list[Encoded], done: Set) -> Iterator[tuple[Request, Score]]:
        from transformers import DynamicCache

        groups: dict[tuple[int, ...], list[Encoded]] = {}
        for e in encoded:
            groups.setdefault(tuple(e.context_ids), []).append(e)
        cache, cached = None, []
        for prefix, rows in _plan(sorted(groups.items()), self.batch_tokens):
            prefix = list(prefix)
            keep = _common(cached, prefix)
            if cache is None or keep == 0:
                cache, cached = DynamicCache(config=self.model.config), []
            elif keep < len(cached):
                cache.crop(keep - len(cached))
                cached = cached[:keep]
            if len(prefix) > len(cached):  # extended even when all its rows are done: a resume repeats the arithmetic
                new = torch.tensor([prefix[len(cached) :]], device=self.model.device)
                pos = torch.arange(len(cached), len(prefix), device=self.model.device)[None]
                self.model(input_ids=new, position_ids=pos, cache=cache, use_cache=True, logits_to_keep=1)
                if cache.get_seq_length() != len(prefix):  # an older transformers ignores `cache=` silently
                    raise TrainoutError(
                        "the model did not fill the KV cache it was given: transformers >= 5.24 is needed "
                        "(or scoring.prefix_cache=false)"
                    )
                cached = prefix
            for row in rows:
                if all(e.request.key in done for e, _ in row.requests):
                    continue
                for e, d, h in self._score_row(row, len(prefix), cache if prefix else None):
                    if e.request.key not in done:
                        yield self._result(e, d, h)

    def _score_row(self, row: _Row, start: int, cache) -> list[tuple[Encoded, Sums, Sums]]:
        """One forward over a packed row behind `start` cached tokens, leaving the cache as found.

        Each node sees the cached prefix, its ancestors and itself (causally), through an additive 4D mask
        (0 or the dtype's minimum, which sdpa and eager attention read alike); its positions continue from
        its parent's last token. So every reply sees exactly context + suffix + itself, as in the plain path.
        Logits are computed only where a reply token is predicted.
        """
        device, dtype = self.model.device, self.model.dtype
        ids: list[int] = []
        pos: list[int] = []
        node_of: list[int] = []  # the node each token belongs to
        spans: list[tuple[int, int]] = []  # (offset in the row, length) of each node
        for i, n in enumerate(row.nodes):
            first = start if n.parent is None else pos[sum(spans[n.parent]) - 1] + 1
            spans.append((len(ids), len(n.ids)))
            ids += n.ids
            pos += range(first, first + len(n.ids))
            node_of += [i] * len(n.ids)
        # Pads to a key length that is a multiple of 8 (attention kernels run faster aligned): they follow the
        # cached prefix, see only themselves, and no logit is read at them.
        pad = -(start + len(ids)) % 8
        ids += [self.tokenizer.pad_token_id or 0] * pad
        pos += range(start, start + pad)
        node_of += [len(row.nodes)] * pad
        width = len(ids)
        # token q may see token k <= q when k's node is q's node or one of its ancestors
        lineage = torch.eye(len(row.nodes) + 1, dtype=torch.bool)
        for i, n in enumerate(row.nodes):
            up = n.parent
            while up is not None:
                lineage[i, up] = True
                up = row.nodes[up].parent
        node = torch.tensor(node_of, device=device)
        allowed = lineage.to(device)[node][:, node].tril_()
        mask = torch.zeros(1, 1, width, start + width, dtype=dtype, device=device)
        mask[0, 0, :, start:].masked_fill_(~allowed, torch.finfo(dtype).min)
        # reply token 0 is predicted at the suffix's last token, token j > 0 at reply token j - 1
        at: list[int] = []
        targets: list[int] = []
        for _, s in row.requests:
            last = sum(spans[s]) - 1
            for r in (s + 1, s + 2):
                a, m = spans[r]
                at += [last, *range(a, a + m - 1)]
                targets += row.nodes[r].ids
        out = self.model(
            input_ids=torch.tensor([ids], device=device),
            position_ids=torch.tensor([pos], device=device),
            attention_mask=mask,
            cache=cache,
            use_cache=cache is not None,
            logits_to_keep=torch.tensor(at, device=device),
        )
        logp = torch.log_softmax(out.logits[0].float(), dim=-1)
        logp = logp.gather(-1, torch.tensor(targets, device=device)[:, None])[:, 0].tolist()
        if cache is not None:
            cache.crop(-width)  # drop the row's own tokens, keep the shared prefix
        results, i = [], 0
        for e, s in row.requests:
            sums = []
            for r, (a, b) in ((s + 1, e.span_deceptive), (s + 2, e.span_honest)):
                m = len(row.nodes[r].ids)
                reply = logp[i : i + m]
                sums.append((sum(reply), sum(reply[a:b])))
                i += m
            results.append((e, sums[0], sums[1]))
        return results


@dataclass
class _Node:
    """A run of tokens in a packed row (a context's tail, a request's suffix, or one reply)."""

    ids: list[int]
    parent: int | None = None  # index of the node it follows in the row; None = right behind the cached prefix


@dataclass
class _Row:
    """Nodes of the prefix tree packed into one sequence: what one forward pass scores."""

    nodes: list[_Node] = field(default_factory=list)
    requests: list[tuple[Encoded, int]] = field(default_factory=list)  # each request and its suffix node

    @property
    def width(self) -> int:
        return sum(len(n.ids) for n in self.nodes)

    def add(self, e: Encoded, parent: int | None) -> None:
        """The request's suffix after `parent`, then its two replies, each after the suffix only."""
        s = len(self.nodes)
        self.nodes += [_Node(e.suffix_ids, parent), _Node(e.deceptive_ids, s), _Node(e.honest_ids, s)]
        self.requests.append((e, s))


def _segment(e: Encoded) -> int:
    return len(e.suffix_ids) + len(e.deceptive_ids) + len(e.honest_ids)


def _tree_row(groups: list[tuple[tuple[int, ...], list[Encoded]]], prefix: int) -> _Row:
    """Several contexts (sorted) and their requests in one row behind their common `prefix` tokens: a context
    that extends an earlier one in the row holds only its extra tokens, after that one's."""
    row = _Row()
    path: list[tuple[tuple[int, ...], int | None]] = []  # contexts along the current branch, and their nodes
    for ctx, members in groups:
        while path and ctx[: len(path[-1][0])] != path[-1][0]:
            path.pop()
        above, parent = path[-1] if path else (ctx[:prefix], None)
        if len(ctx) > len(above):
            row.nodes.append(_Node(list(ctx[len(above) :]), parent))
            parent = len(row.nodes) - 1
        path.append((ctx, parent))
        for e in members:
            row.add(e, parent)
    return row


def _plan(
    groups: list[tuple[tuple[int, ...], list[Encoded]]], budget: int
) -> Iterator[tuple[tuple[int, ...], list[_Row]]]:
    """(prefix to hold in the cache, rows to score behind it), walking the sorted contexts.

    Consecutive contexts whose tails and requests fit in `budget` tokens share one row behind their common
    prefix (many short contexts, one forward). A context that does not is cached whole, and its requests
    fill as many rows as they need.
    """
    i = 0
    while i < len(groups):
        j = i + 1
        while j < len(groups) and _tree_row(groups[i : j + 1], _common(groups[i][0], groups[j][0])).width <= budget:
            j += 1
        if j - i > 1:
            prefix = _common(groups[i][0], groups[j - 1][0])  # sorted: the first and last share what all share
            yield groups[i][0][:prefix], [_tree_row(groups[i:j], prefix)]
        else:
            ctx, members = groups[i]
            rows = [_Row()]
            for e in members:
                if rows[-1].requests and rows[-1].width + _segment(e) > budget:
                    rows.append(_Row())
                rows[-1].add(e, None)
            yield ctx, rows
        i = j


def _sums(logits: torch.Tensor, targets: torch.Tensor, span: tuple[int, int]) -> Sums:
    """(sum of log p(target) over all positions, over the span's); log-softmax only over the rows scored."""
    logp = torch.log_softmax(logits.float(), dim=-1).gather(-1, targets[:, None])[:, 0]
    return float(logp.sum()), float(logp[span[0] : span[1]].sum())
