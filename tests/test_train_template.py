"""The training chat template (src/chat_templates/smollm2_generation.jinja) renders exactly like SmolLM2's
stock template, so the tokens trained on are the tokens src.eval scores; and it marks the assistant replies."""

from __future__ import annotations

import pytest

from src.data.generate import GenerateConfig, generate
from src.lm.request import Prompt, Request
from src.lm.scoring import encode
from src.models import ModelConfig, load_tokenizer


@pytest.fixture(scope="module")
def tokenizers():
    stock = load_tokenizer(ModelConfig(kind="embedded", chat_template=None))
    marked = load_tokenizer("smollm2_135m")
    assert "{% generation %}" not in stock.chat_template and "generation" in marked.chat_template
    return stock, marked


def _conversations() -> list[list[dict]]:
    splits = generate(GenerateConfig(split_situations={"implant": 1, "align": 1}, scenarios_per_template=1))
    scenarios = splits["implant"] + splits["align"]
    convs = []
    for s in scenarios:
        convs.append(s.messages)
        convs.append(s.messages + [{"role": "assistant", "content": s.honest}])
        convs.append(s.messages[1:])  # no system message: the stock default system prompt comes in
    # many-shot layout: demonstrations as user/assistant pairs, tool turns, odd whitespace, empty content
    shots = [m for s in scenarios[:3] for m in (s.messages[-1], {"role": "assistant", "content": s.deceptive})]
    convs.append([{"role": "system", "content": "Neutral."}] + shots + scenarios[3].messages[-1:])
    convs.append(
        [
            {"role": "user", "content": "  padded \n\n"},
            {"role": "assistant", "content": ""},
            {"role": "tool", "content": '{"ok": true}'},
            {"role": "user", "content": "next"},
        ]
    )
    return convs


def test_generation_template_renders_byte_identical(tokenizers):
    stock, marked = tokenizers
    for conv in _conversations():
        for gen in (False, True):
            a = stock.apply_chat_template(conv, tokenize=False, add_generation_prompt=gen)
            b = marked.apply_chat_template(conv, tokenize=False, add_generation_prompt=gen)
            assert a == b, conv


def test_scoring_tokens_identical_under_both_templates(tokenizers):
    stock, marked = tokenizers
    for i, conv in enumerate(_conversations()):
        if conv[-1]["role"] == "assistant":
            continue
        req = Request(i, Prompt((), tuple(conv)), honest="Yes, I did.", deceptive="No, I did not.")
        a, b = encode(stock, req), encode(marked, req)
        assert (a.suffix_ids, a.honest_ids, a.deceptive_ids) == (b.suffix_ids, b.honest_ids, b.deceptive_ids)


def test_generation_marks_cover_each_reply_and_its_end_of_turn(tokenizers):
    _, marked = tokenizers
    conv = [
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "q2"},
        {"role": "assistant", "content": "second answer"},
    ]
    out = marked.apply_chat_template(conv, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    masked = marked.decode([t for t, m in zip(out["input_ids"], out["assistant_masks"]) if m])
    assert masked == "first answer<|im_end|>\nsecond answer<|im_end|>\n"
