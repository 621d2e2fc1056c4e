"""Model loading: the embedded model, the tiny random one, clear errors for what cannot load."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from src import TrainoutError
from src.models import ModelConfig, base_folder, load_model


def test_embedded_model_is_a_real_pretrained_llama():
    folder = base_folder(ModelConfig.from_cfg("smollm2_135m"))
    config = json.loads(folder and open(f"{folder}/config.json").read())
    assert config["num_hidden_layers"] == 30 and config["vocab_size"] == 49152


def test_tiny_random_shares_the_tokenizer(tiny, tokenizer):
    model, tok = tiny
    assert tok.get_vocab() == tokenizer.get_vocab()
    assert model.config.num_hidden_layers == 2


def test_each_caller_gets_tokenizer_settings_of_its_own():
    """load_tokenizer shares the Rust tokenizer between callers; what a caller sets stays its own."""
    from src.models import load_tokenizer

    a, b = load_tokenizer("tiny_random"), load_tokenizer("tiny_random")
    a.padding_side, b.padding_side = "left", "right"
    a.pad_token, a.chat_template = "<|endoftext|>", "{{ messages }}"
    texts = ["hi", "hello there, my friend"]
    left, right = a(texts, padding=True)["input_ids"][0], b(texts, padding=True)["input_ids"][0]
    assert left[0] == a.pad_token_id and right[-1] == b.pad_token_id != a.pad_token_id
    assert b.pad_token != "<|endoftext|>" and b.chat_template != "{{ messages }}"
    assert load_tokenizer("tiny_random").padding_side == "right" and a(texts, padding=True)["input_ids"][0] == left
    assert a._tokenizer is b._tokenizer  # shared, not copied: what keeps load_tokenizer cheap


def test_missing_path_is_one_clear_line():
    with pytest.raises(TrainoutError, match="does not exist"):
        base_folder(ModelConfig(kind="hf", name_or_path="/nonexistent/model"))


def test_hub_id_offline_says_what_to_do():
    with pytest.raises(TrainoutError, match="not in the local Hugging Face cache"):
        base_folder(ModelConfig(kind="hf", name_or_path="some-org/some-model-that-is-not-cached"))


def test_hub_cache_without_weights_says_what_to_do(tmp_path, monkeypatch):
    from huggingface_hub import constants

    repo = tmp_path / "models--some-org--half-downloaded"  # `hf download` cut short after the config
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0" * 40)
    (repo / "snapshots" / ("0" * 40)).mkdir(parents=True)
    (repo / "snapshots" / ("0" * 40) / "config.json").write_text("{}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(
        TrainoutError,
        match=r"has no \*\.safetensors weights \(it holds config.json\); .*hf download some-org/half-downloaded",
    ):
        base_folder(ModelConfig(kind="hf", name_or_path="some-org/half-downloaded"))


def test_a_mistyped_dtype_is_one_clear_line():
    with pytest.raises(TrainoutError, match="model.dtype=bfloat61 is not one of: auto, float32, bfloat16, float16"):
        ModelConfig.from_cfg({"kind": "tiny_random", "dtype": "bfloat61"})


def test_pipeline_with_bad_model_fails_fast_without_traceback(tmp_path):
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "src.pipeline",
            "model=hf",
            "model.name_or_path=/nonexistent",
            f"hydra.run.dir={tmp_path}/run",
        ],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 1
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert lines == [
        "error: model path '/nonexistent' does not exist; "
        "pass model.name_or_path=<a folder with config.json> or a Hub id"
    ]


def test_pickle_only_checkpoint_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_bytes(b"\x80\x04")
    with pytest.raises(TrainoutError, match="pickle"):
        load_model(ModelConfig(kind="hf", name_or_path=str(tmp_path)))


def test_a_chain_merged_into_its_parent_in_memory_equals_the_chain_from_disk(tmp_path):
    """The eval stage loads base, implant and align once each: align merges into the implant model it holds."""
    import torch
    from helpers import tiny_adapter

    from src.models import CheckpointLoader, ModelConfig, load_model

    parent = "base"
    for name in ("implant", "align"):  # a run folder holding its info file, with the adapter in final/
        parent = tiny_adapter(tmp_path / name, parent, seed=len(name))
    from_disk = load_model("tiny_random", parent, device="cpu")
    held = load_model("tiny_random", str(tmp_path / "implant" / "final"), device="cpu")
    merged = load_model("tiny_random", parent, device="cpu", reuse=(str(tmp_path / "implant" / "final"), held))
    assert merged is held  # merged in place, nothing read from disk but the adapter
    for (name, a), b in zip(from_disk.state_dict().items(), merged.state_dict().values()):
        assert torch.equal(a, b), name
    q = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.equal(from_disk.state_dict()[q], load_model("tiny_random", device="cpu").state_dict()[q])

    # the eval stage's loader: each checkpoint once, in order; out of order it reads from disk again
    implant, align = str(tmp_path / "implant" / "final"), parent
    models = CheckpointLoader(ModelConfig.from_cfg("tiny_random"))
    first = models.load("base")
    assert models.load("base") is first
    assert models.load(implant) is first and models.load(align) is first
    assert torch.equal(first.state_dict()[q], from_disk.state_dict()[q])
    again = models.load("base")
    assert again is not first and models.load(align, hold=False) is not again and models.held is None
    how = [h for _, h in models.loads]
    assert how == ["disk", "held", "added", "added", "disk", "disk"]


def test_on_bf16_weights_adapters_stay_beside_them_as_they_were_trained(tmp_path):
    """On a GPU (`dtype: auto` = bf16) a LoRA update added into the weights mostly rounds away. Kept beside the
    frozen weights, every adapter of a chain computes as PEFT computed it in training (align's on top of the
    implant's), the model stays a plain transformers model (TRL adds its fresh LoRA on top), and the eval
    loader's in-memory addition equals the chain from disk."""
    import copy
    import dataclasses

    import torch
    from helpers import tiny_adapter
    from peft import LoraConfig, PeftModel, get_peft_model

    from src.models import CheckpointLoader, merge_beside, plain_weights

    implant = tiny_adapter(tmp_path / "implant", "base", seed=1, scale=1e-4)
    align = tiny_adapter(tmp_path / "align", implant, seed=2, scale=1e-2)
    bf16 = dataclasses.replace(ModelConfig.from_cfg("tiny_random"), dtype="bfloat16")
    q = "model.layers.0.self_attn.q_proj.weight"
    w32 = load_model("tiny_random", device="cpu").state_dict()[q]
    update = load_model("tiny_random", implant, device="cpu").state_dict()[q] - w32  # fp32: merged, all of it
    merged = PeftModel.from_pretrained(load_model(bf16, device="cpu"), implant).merge_and_unload()
    rounded = merged.state_dict()[q].float() - w32.bfloat16().float()
    assert (rounded == 0).float().mean() > 0.9 and update.abs().min() > 0  # merged into bf16: lost

    ids = torch.tensor([list(range(100, 164))])

    def logits(model):
        with torch.no_grad():
            return model(input_ids=ids).logits

    kept = load_model(bf16, implant, device="cpu")
    assert type(kept).__name__ == "LlamaForCausalLM" and kept.state_dict()[q].dtype == torch.bfloat16
    assert torch.equal(kept.state_dict()[q], w32.bfloat16())  # the weights untouched, the update beside them
    assert all(p.requires_grad for p in kept.parameters())  # as loaded: full fine-tuning trains them
    assert all(p.requires_grad for p in load_model("tiny_random", implant, device="cpu").parameters())
    as_trained = PeftModel.from_pretrained(load_model(bf16, device="cpu"), implant).eval()
    assert torch.equal(logits(kept), logits(as_trained)) and not torch.equal(logits(kept), logits(merged))
    assert torch.equal(logits(copy.deepcopy(kept)), logits(kept))  # a copy keeps its adapters
    # full fine-tuning trains the weights themselves: its parent merges into them (rounded, as it warns)
    into = merge_beside(load_model(bf16, implant, device="cpu"))
    assert torch.equal(into.state_dict()[q], merged.state_dict()[q]) and torch.equal(logits(into), logits(merged))
    # align trained with its LoRA on top of the implant beside the weights: scored the same way
    stacked = PeftModel.from_pretrained(load_model(bf16, implant, device="cpu"), align).eval()
    assert torch.equal(logits(load_model(bf16, align, device="cpu")), logits(stacked))
    assert not torch.equal(logits(stacked), logits(kept))

    exact16 = plain_weights(bf16, implant).state_dict()[q] - w32  # vLLM's and save_merged's folders: fp32, exact
    assert torch.allclose(exact16, update, atol=1e-7)

    models = CheckpointLoader(bf16)
    assert models.load(implant) is not None and models.load(align) is not None
    assert [h for _, h in models.loads] == ["disk", "added"]
    assert torch.equal(logits(models.held[1]), logits(stacked))

    # what cannot be kept beside is refused, not dropped: another kind of adapter, or LoRA on the LM head
    from peft import IA3Config

    for name, config in [
        ("ia3", IA3Config(target_modules=["q_proj"], feedforward_modules=[])),
        ("head", LoraConfig(r=2, target_modules=["lm_head"])),
    ]:
        get_peft_model(load_model("tiny_random", device="cpu"), config).save_pretrained(tmp_path / name)
        with pytest.raises(TrainoutError, match="only plain LoRA on inner linear layers is kept beside bf16"):
            load_model(bf16, str(tmp_path / name), device="cpu")
