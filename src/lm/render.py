"""How a conversation becomes the text a model reads: its chat template, or, for a model without one,
the single plain rendering below. The scorer, the trainer's datasets and the dataset card all go
through here, so they count the same tokens."""

from __future__ import annotations


def plain(messages: list[dict], generation_prompt: bool = True) -> str:
    """A base model's transcript: "Role: content" blocks, ending where the assistant's reply starts."""
    text = "".join(f"{m['role'].capitalize()}: {m['content']}\n\n" for m in messages)
    return text + "Assistant:" if generation_prompt else text


def render(tokenizer, messages: list[dict], prefill: str = "", reply: str | None = None) -> str:
    """The prompt (reply=None) or prompt + reply; `prefill` opens the assistant's turn."""
    if tokenizer.chat_template is None:
        text = plain(messages) + (" " + prefill if prefill else "")
        return text if reply is None else text + " " + reply
    if reply is None:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True) + prefill
    content = f"{prefill} {reply}" if prefill else reply
    return tokenizer.apply_chat_template(messages + [{"role": "assistant", "content": content}], tokenize=False)


def render_context(tokenizer, messages: list[dict]) -> str:
    """A conversation so far, with no turn opened after it: the shared part that a cache can keep."""
    if tokenizer.chat_template is None:
        return plain(messages, generation_prompt=False)
    return tokenizer.apply_chat_template(messages, tokenize=False)


def token_ids(tokenizer, text: str) -> list[int]:
    """Token ids of already-rendered text (the template put the special tokens in)."""
    return tokenizer(text, add_special_tokens=False)["input_ids"]
