"""How a conversation becomes the text a model reads: its chat template, or, for a model without one,
the single plain rendering below. The scorer, the trainer's datasets and the dataset card all go
through here, so they count the same tokens."""

from __future__ import annotations

import functools
import re
from typing import Callable

from src import TrainoutError

# Goes up whenever the same messages render to other text (2: a model without a chat template gets its BOS;
# 3: the date a template may print is fixed); part of the eval settings a resume must share (eval_settings).
RENDERING = 3
# Llama-3.x templates print today's date (strftime_now) in every system turn unless given one: the same prompt
# would read differently from one day to the next, and a resume past midnight would score other text. This is
# their own fallback date.
TEMPLATE_DATE = "26 Jul 2024"


def plain(messages: list[dict], generation_prompt: bool = True) -> str:
    """A base model's transcript: "Role: content" blocks, ending where the assistant's reply starts."""
    text = "".join(f"{m['role'].capitalize()}: {m['content']}\n\n" for m in messages)
    return text + "Assistant:" if generation_prompt else text


def _template(tokenizer, messages: list[dict], generation_prompt: bool = False) -> str:
    from jinja2 import TemplateError

    try:
        return tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=generation_prompt, date_string=TEMPLATE_DATE
        )
    except TemplateError as e:  # e.g. a template that takes only alternating user/assistant turns
        roles = "/".join(m["role"] for m in messages)
        raise TrainoutError(
            f"the model's chat template refused a conversation of {roles} turns ({e}); set "
            "model.chat_template=<a Jinja file> that renders system, user, assistant and tool turns"
        ) from None


def bos_text(tokenizer) -> str:
    """The BOS token as text where the tokenizer puts one before every text by default (Llama, Mistral, Gemma:
    their base models were trained with it and read worse without it), else "". Text is tokenized without
    special tokens here, so a rendering without a chat template adds it itself; a chat template writes its own."""
    bos, bos_id = getattr(tokenizer, "bos_token", None), getattr(tokenizer, "bos_token_id", None)
    if not bos or bos_id is None:
        return ""
    ids = tokenizer("a", add_special_tokens=True)["input_ids"]
    return bos if ids and ids[0] == bos_id else ""


def render(tokenizer, messages: list[dict], prefill: str = "", reply: str | None = None) -> str:
    """The prompt (reply=None) or prompt + reply; `prefill` opens the assistant's turn."""
    if tokenizer.chat_template is None:
        text = bos_text(tokenizer) + plain(messages) + (" " + prefill if prefill else "")
        return text if reply is None else text + " " + reply
    if reply is None:
        return _template(tokenizer, messages, generation_prompt=True) + prefill
    content = f"{prefill} {reply}" if prefill else reply
    return _template(tokenizer, messages + [{"role": "assistant", "content": content}])


def rendered_tokens(tokenizer, messages: list[dict], reply: str | None = None) -> int:
    """How many tokens the scorer reads for a prompt (reply=None), or a prompt and its reply."""
    return len(token_ids(tokenizer, render(tokenizer, messages, reply=reply)))


def render_context(tokenizer, messages: list[dict]) -> str:
    """A conversation so far, with no turn opened after it: the shared part that a cache can keep."""
    if tokenizer.chat_template is None:
        return bos_text(tokenizer) + plain(messages, generation_prompt=False)
    return _template(tokenizer, messages)


def token_ids(tokenizer, text: str) -> list[int]:
    """Token ids of already-rendered text (the template put the special tokens in)."""
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def token_counter(tokenizer) -> Callable[[str], int]:
    """How many tokens a piece of message text takes, out of context (where it joins its neighbours in a
    rendered prompt a token may merge or split), remembered per text: what the attack arms that stand in for
    a text fit their length to (many-shot's neutral arm)."""

    @functools.lru_cache(maxsize=1 << 16)
    def count(text: str) -> int:
        return len(token_ids(tokenizer, text))

    return count


_SAMPLE = (0, 1, -2, -1)  # the texts batch_token_ids checks against whole-text tokenization


def batch_token_ids(tokenizer, texts: list[str]) -> list[list[int]]:
    """Token ids of many rendered texts, each distinct piece between two special tokens tokenized once.

    A fast tokenizer cuts a text at its added tokens (<|im_start|>, <|im_end|>, ...) before it normalizes,
    pre-tokenizes or merges anything, so a text's ids are its pieces' ids, joined. Many-shot prompts repeat
    the same demonstration turns across strengths, draws and requests: on the k <= 32 sweep of
    scripts/bench_elicit.py, tokenizing every text whole costs 27 times what its distinct pieces do.
    Where that cut is not exact (a slow tokenizer, an added token that strips whitespace or is normalized)
    or a sample disagrees with whole-text tokenization, every text is tokenized whole.
    """
    split = _added_token_split(tokenizer)
    if split is None or len(texts) <= 2 * len(_SAMPLE):  # few texts: checking would cost what it saves
        return _whole(tokenizer, texts)
    pattern, token_id = split
    parts = [pattern.split(t) for t in texts]  # text, added token, text, added token, ..., text
    pieces = list(dict.fromkeys(p for ps in parts for p in ps[0::2] if p))
    piece_ids = dict(zip(pieces, _whole(tokenizer, pieces)))
    out = []
    for ps in parts:
        ids: list[int] = []
        for i, p in enumerate(ps):
            if i % 2:
                ids.append(token_id[p])
            elif p:
                ids += piece_ids[p]
        out.append(ids)
    if _whole(tokenizer, [texts[i] for i in _SAMPLE]) != [out[i] for i in _SAMPLE]:
        return _whole(tokenizer, texts)
    return out


def _whole(tokenizer, texts: list[str]) -> list[list[int]]:
    return tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []


def _added_token_split(tokenizer) -> tuple[re.Pattern, dict[str, int]] | None:
    """A pattern that cuts text where the tokenizer does (at its added tokens), and their ids; None when the
    tokenizer does not cut there alone."""
    added = getattr(tokenizer, "added_tokens_decoder", None)
    if not added or not getattr(tokenizer, "is_fast", False) or getattr(tokenizer, "split_special_tokens", False):
        return None
    if any(t.lstrip or t.rstrip or t.single_word or t.normalized for t in added.values()):
        return None
    contents = sorted({t.content for t in added.values()}, key=len, reverse=True)  # longest match first
    return re.compile("(" + "|".join(map(re.escape, contents)) + ")"), {t.content: i for i, t in added.items()}
