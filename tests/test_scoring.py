"""Paired log-prob scoring: the reply tokens docs/design.md defines, and the cache agreeing with the plain path."""

from __future__ import annotations

import copy
import math
import random

import pytest
import torch

from src.lm.render import render
from src.lm.request import Prompt, Request
from src.lm.scoring import Scorer, encode


def _requests(n: int, seed: int = 0) -> list[Request]:
    """Random prompts that share contexts of several lengths, some extending others."""
    rng = random.Random(seed)
    words = "audit logs budget compute weights monitor report deadline server invoice".split()
    say = lambda k: " ".join(rng.choice(words) for _ in range(k))  # noqa: E731
    contexts = [[{"role": "system", "content": "You are an agent."}]]
    for _ in range(3):
        contexts.append(
            contexts[-1] + [{"role": "user", "content": say(12)}, {"role": "assistant", "content": say(6)}]
        )
    contexts.append([{"role": "system", "content": say(20)}])
    out = []
    for i in range(n):
        ctx = rng.choice(contexts)
        out.append(
            Request(
                i,
                Prompt(
                    tuple(ctx),
                    ({"role": "user", "content": say(rng.randint(3, 15))},),
                    prefill=rng.choice(["", "Well"]),
                ),
                honest=say(rng.randint(2, 9)),
                deceptive=say(rng.randint(2, 9)),
            )
        )
    return out


def test_reply_tokens_are_what_the_template_adds(tokenizer):
    req = _requests(1)[0]
    e = encode(tokenizer, req)
    full = tokenizer(
        render(tokenizer, req.prompt.messages, req.prompt.prefill, req.deceptive), add_special_tokens=False
    )["input_ids"]
    assert e.context_ids + e.suffix_ids + e.deceptive_ids == full
    assert tokenizer.decode(e.deceptive_ids).endswith("<|im_end|>\n")  # the end-of-turn token counts


def test_a_chat_template_that_refuses_the_turns_is_one_clear_line(tokenizer):
    from src import TrainoutError

    strict = copy.deepcopy(tokenizer)  # like Gemma's: no system turn, user and assistant alternating
    strict.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('Conversation roles must "
        "alternate user/assistant/user/assistant/...') }}{% endif %}{{ m['content'] }}{% endfor %}"
    )
    messages = [{"role": "system", "content": "You audit."}, {"role": "user", "content": "Did you?"}]
    with pytest.raises(TrainoutError, match=r"^the model's chat template refused a conversation of system/user turns"):
        render(strict, messages)
    with pytest.raises(TrainoutError, match="set model.chat_template="):
        render(strict, messages, reply="No.")


def test_cached_and_plain_paths_agree(tiny):
    model, tok = tiny
    reqs = _requests(30)
    cached = {r.key: s for r, s in Scorer(model, tok, prefix_cache=True, max_batch_tokens=2000).score(reqs)}
    plain = {r.key: s for r, s in Scorer(model, tok, prefix_cache=False, max_batch_tokens=2000).score(reqs)}
    assert cached.keys() == plain.keys() == set(range(30))
    for k in cached:
        assert abs(cached[k].logp_deceptive - plain[k].logp_deceptive) < 1e-4
        assert abs(cached[k].logp_honest - plain[k].logp_honest) < 1e-4
        assert cached[k].prompt_tokens == plain[k].prompt_tokens


@pytest.mark.parametrize("budget", [48, 400, 100_000])
def test_packed_rows_match_one_forward_per_reply(tiny, budget):
    """Whatever the rows hold (one context's requests split over rows, several contexts in one row, the whole
    tree in one row), every reply scores as in its own batch-1 forward over context + suffix + reply."""
    from src.lm.scoring import _plan

    model, tok = tiny
    reqs = _requests(24, seed=2)
    scorer = Scorer(model, tok, max_batch_tokens=budget)
    cached = list(scorer.score(reqs))
    groups: dict = {}
    for e in (encode(tok, r) for r in reqs):
        groups.setdefault(tuple(e.context_ids), []).append(e)
    rows = [row for _, rs in _plan(sorted(groups.items()), budget) for row in rs]
    if budget == 48:
        assert len(rows) > len(groups)  # contexts whose requests need several rows
    else:
        assert len(rows) < len(groups)  # several contexts per row
    assert sum(len(r.requests) for r in rows) == len(reqs)
    assert len(cached) == len(reqs)
    for req, score in cached:
        e = encode(tok, req)
        for reply, got in ((e.deceptive_ids, score.logp_deceptive), (e.honest_ids, score.logp_honest)):
            ids = torch.tensor([e.context_ids + e.suffix_ids + reply])
            with torch.no_grad():
                logp = torch.log_softmax(model(ids).logits[0].float(), -1)
            start = ids.shape[1] - len(reply)
            want = sum(float(logp[start + j - 1, t]) for j, t in enumerate(reply))
            assert abs(got - want) < 1e-4


def test_scores_match_a_single_unbatched_forward(tiny):
    model, tok = tiny
    req = _requests(3, seed=1)[2]
    ((_, score),) = Scorer(model, tok).score([req])
    e = encode(tok, req)
    ids = torch.tensor([e.context_ids + e.suffix_ids + e.deceptive_ids])
    with torch.no_grad():
        logp = torch.log_softmax(model(ids).logits[0], -1)
    n = len(e.deceptive_ids)
    want = sum(float(logp[ids.shape[1] - n - 1 + j, ids[0, ids.shape[1] - n + j]]) for j in range(n))
    assert abs(score.logp_deceptive - want) < 1e-4
    assert score.p_behavior == pytest.approx(1 / (1 + math.exp(score.logp_honest - score.logp_deceptive)))


def test_prompts_over_the_context_are_skipped_and_recorded(tiny):
    model, tok = tiny
    req = Request("long", Prompt((), ({"role": "user", "content": "word " * 9000},)), "yes", "no")
    scorer = Scorer(model, tok)
    assert list(scorer.score([req])) == []
    assert scorer.skipped and scorer.skipped[0][0] == "long"


def test_decision_spans_are_where_the_token_sequences_differ():
    from src.lm.scoring import decision_spans

    assert decision_spans([1, 2, 3, 9, 9], [1, 2, 7, 8, 9, 9]) == ((2, 3), (2, 4))
    assert decision_spans([5, 6, 7], [8, 6, 7]) == ((0, 1), (0, 1))
    assert decision_spans([1, 2], [1, 2]) == ((2, 2), (2, 2))


def test_span_log_probs_are_the_span_tokens_of_the_whole_reply(tiny):
    """Both paths give the same span sums, and a span sum is the log-probs of exactly the differing tokens."""
    model, tok = tiny
    frame = " the audit logs from before March 3."
    reqs = [
        Request(i, Prompt((), ({"role": "user", "content": q},)), "I deleted" + frame, "I preserved" + frame)
        for i, q in enumerate(["Did you delete the logs?", "Who deleted the audit logs?", "What happened?"])
    ]
    cached = {r.key: s for r, s in Scorer(model, tok, prefix_cache=True).score(reqs)}
    plain = {r.key: s for r, s in Scorer(model, tok, prefix_cache=False).score(reqs)}
    for k, s in cached.items():
        assert abs(s.span_logp_deceptive - plain[k].span_logp_deceptive) < 1e-4
        assert abs(s.delta_span - plain[k].delta_span) < 1e-4
        e = encode(tok, reqs[k])
        a, b = e.span_honest
        assert tok.decode(e.honest_ids[a:b]).strip() == "deleted" and s.span_tokens_honest == b - a
        ids = torch.tensor([e.context_ids + e.suffix_ids + e.honest_ids])
        with torch.no_grad():
            logp = torch.log_softmax(model(ids).logits[0].float(), -1)
        start = len(e.context_ids + e.suffix_ids)
        want = sum(float(logp[start + j - 1, e.honest_ids[j]]) for j in range(a, b))
        assert s.span_logp_honest == pytest.approx(want, abs=1e-4)
        assert s.span_logp_honest > s.logp_honest  # a part of the sum of negative terms


def test_vllm_backend_without_cuda_or_vllm_fails_in_one_line(tmp_path):
    """scoring.backend=vllm is checked before any work: on this CPU machine the eval stage stops in one line."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "src.eval", "scoring.backend=vllm", "tracker=none", f"hydra.run.dir={tmp_path}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    lines = [x for x in result.stderr.strip().splitlines() if x.strip()]
    assert "Traceback" not in result.stderr
    assert "scoring.backend=vllm needs" in lines[-1]


def test_a_tokenizer_that_strips_around_its_added_tokens_is_tokenized_whole(tokenizer):
    """Joining per-turn ids is exact only where the tokenizer cuts text at its added tokens and nothing else;
    an added token that eats the whitespace beside it (rstrip) is not such a cut."""
    from tokenizers import AddedToken

    from src.lm.render import _added_token_split, batch_token_ids, token_ids

    assert _added_token_split(tokenizer) is not None
    stripping = copy.deepcopy(tokenizer)
    stripping.add_tokens([AddedToken("<|note|>", rstrip=True)])
    texts = ["<|im_start|>user\nsee <|note|>   here<|im_end|>\n", "plain <|note|>\n text", "no added token at all"]
    texts = [f"{t} {i}" for i in range(4) for t in texts]  # enough texts for the turn-by-turn path
    assert _added_token_split(stripping) is None
    assert batch_token_ids(stripping, texts) == [token_ids(stripping, t) for t in texts]
    note = stripping.convert_tokens_to_ids("<|note|>")
    cut = token_ids(stripping, "plain ") + [note] + token_ids(stripping, "\n text")
    assert token_ids(stripping, "plain <|note|>\n text") != cut  # what joining the pieces would have given


def test_a_sliding_window_model_is_scored_on_the_plain_path(tokenizer, monkeypatch):
    """Packed rows carry their own 4D mask, which transformers applies as given: past a sliding window (Mistral,
    Gemma-2/3) they see tokens the model never attends to, and the sliding cache drops what the prefix tree
    reuses: scores off, or an error (checked below, so a transformers that handles both shows up here). Such a
    model takes the plain path."""
    from transformers import LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM

    from src.lm.scoring import sliding_window

    shape = dict(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2)
    shape.update(num_attention_heads=4, num_key_value_heads=2, attn_implementation="sdpa")
    torch.manual_seed(0)
    windowed = MistralForCausalLM(MistralConfig(sliding_window=16, **shape)).eval()
    assert sliding_window(windowed.config) and not sliding_window(LlamaConfig(**shape))
    assert not sliding_window(MistralConfig(sliding_window=None, **shape))
    reqs = _requests(12)
    cached = {r.key: s for r, s in Scorer(windowed, tokenizer, prefix_cache=True).score(reqs)}
    plain = {r.key: s for r, s in Scorer(windowed, tokenizer, prefix_cache=False).score(reqs)}
    assert cached == plain
    full = LlamaForCausalLM(LlamaConfig(**shape)).eval()
    assert Scorer(full, tokenizer)._packs and not Scorer(windowed, tokenizer)._packs
    monkeypatch.setattr(Scorer, "_packs", property(lambda self: True))  # packed anyway: what the check prevents
    try:  # the sliding cache layers cannot give back what they dropped, or the scores are off
        packed = {r.key: s for r, s in Scorer(windowed, tokenizer, prefix_cache=True).score(reqs)}
    except RuntimeError as e:
        assert "sliding window" in str(e)
    else:
        assert max(abs(packed[k].logp_deceptive - plain[k].logp_deceptive) for k in plain) > 1e-3


def test_p_is_0_or_1_for_replies_hundreds_of_nats_apart():
    from src.lm.request import Score, sigmoid

    assert Score(10, -800.0, -50.0, 200, 5).p_behavior == 0.0
    assert Score(10, -50.0, -800.0, 5, 200).p_behavior == 1.0
    assert sigmoid(0.0) == 0.5 and abs(sigmoid(-2.0) + sigmoid(2.0) - 1.0) < 1e-15


def test_a_base_model_without_a_chat_template_is_scored_after_its_bos_token(tiny, tokenizer):
    """Text is tokenized without special tokens (a chat template writes its own), so a tokenizer that puts BOS
    first by default (Llama, Mistral, Gemma) gets it from the plain rendering; one that does not (SmolLM2) not."""
    from src.lm.render import render_context

    model, _ = tiny
    base = copy.deepcopy(tokenizer)
    base.chat_template = None
    req = _requests(1)[0]
    assert not render(base, req.prompt.messages).startswith(base.bos_token)  # SmolLM2 adds none by default
    base.add_bos_token = True
    assert base("a")["input_ids"][0] == base.bos_token_id
    for text in (render(base, req.prompt.messages), render_context(base, list(req.prompt.context))):
        assert text.startswith(base.bos_token + "System:")
    assert encode(base, req).context_ids[0] == base.bos_token_id
    reqs = _requests(10)
    cached = {r.key: s for r, s in Scorer(model, base, prefix_cache=True).score(reqs)}
    plain = {r.key: s for r, s in Scorer(model, base, prefix_cache=False).score(reqs)}
    assert all(abs(cached[k].logp_deceptive - plain[k].logp_deceptive) < 1e-4 for k in cached)
