"""Build a randomly initialised causal LM of a real model's shape, with a given tokenizer, and save it.

    python scripts/build_random_model.py --shape smollm2-1.7b --tokenizer gpu/tokenizer --out /tmp/model
    python scripts/build_random_model.py --shape tiny --tokenizer DIR --out DIR        # CPU tests (seconds)
    python scripts/build_random_model.py --export-tokenizer gpu/tokenizer            # the embedded SmolLM2 tokenizer

Same FLOPs, shapes and code paths as the real model, without downloading it: what a GPU timing needs.
On CUDA the weights are initialised on the GPU in bf16 (seconds for 1.7B); on CPU in fp32. The folder
(config.json, safetensors, tokenizer files) loads with `model=hf model.name_or_path=<out>`.
vocab_size = len(tokenizer); bos/eos/pad ids come from the tokenizer; config._name_or_path = the shape name.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `src`, also where the repo is not installed
from src.models import TINY_LLAMA  # noqa: E402

# name -> LlamaConfig fields (the published configs' shapes)
SHAPES: dict[str, dict] = {
    "smollm2-1.7b": dict(
        hidden_size=2048,
        intermediate_size=8192,
        num_hidden_layers=24,
        num_attention_heads=32,
        num_key_value_heads=32,
        tie_word_embeddings=True,
        rope_theta=130000.0,
        max_position_embeddings=8192,
    ),
    "llama3-8b": dict(
        hidden_size=4096,
        intermediate_size=14336,
        num_hidden_layers=32,
        num_attention_heads=32,
        num_key_value_heads=8,
        tie_word_embeddings=False,
        rope_theta=500000.0,
        max_position_embeddings=8192,
    ),
    "smollm2-360m": dict(
        hidden_size=960,
        intermediate_size=2560,
        num_hidden_layers=32,
        num_attention_heads=15,
        num_key_value_heads=5,
        tie_word_embeddings=True,
        rope_theta=100000.0,
        max_position_embeddings=8192,
    ),
    "tiny": {**TINY_LLAMA, "rope_theta": 10000.0},  # the tests' tiny random Llama (src.models.random_like)
}


def llama_config(shape: str, tokenizer):
    from transformers import LlamaConfig

    fields = dict(SHAPES[shape])
    theta = fields.pop("rope_theta")
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        rms_norm_eps=1e-5,
        rope_parameters={"rope_type": "default", "rope_theta": theta},
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
        **fields,
    )
    config._name_or_path = shape
    return config


def build(shape: str, tokenizer_dir: str | Path, out: str | Path, seed: int = 0, device: str | None = None) -> int:
    """Build, save (safetensors + tokenizer) and return the parameter count (shared weights once)."""
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    if shape not in SHAPES:
        raise SystemExit(f"unknown --shape {shape!r} (choose: {', '.join(SHAPES)})")
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = llama_config(shape, tokenizer)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    config.dtype = dtype
    torch.manual_seed(seed)
    t = time.perf_counter()
    with torch.device(device):
        model = LlamaForCausalLM._from_config(config, dtype=dtype)
    model.config._name_or_path = shape
    if device == "cuda":
        torch.cuda.synchronize()
    t_init = time.perf_counter() - t
    n = sum(p.numel() for p in model.parameters())  # parameters() yields a tied weight once
    t = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    t_save = time.perf_counter() - t
    size = sum(f.stat().st_size for f in out.glob("*.safetensors"))
    print(
        f"build_random_model: shape={shape} params={n} ({n / 1e9:.3f} B) vocab={config.vocab_size} "
        f"layers={config.num_hidden_layers} dtype={str(dtype).removeprefix('torch.')} device={device} "
        f"init {t_init:.1f} s, save {t_save:.1f} s ({size / 2**30:.2f} GiB) -> {out}",
        flush=True,
    )
    return n


def export_tokenizer(out: str | Path) -> Path:
    """Save the embedded SmolLM2-135M-Instruct tokenizer (tokenizer files only, a few MB) into `out`."""
    from transformers import AutoTokenizer

    from src.models import embedded_folder

    tokenizer = AutoTokenizer.from_pretrained(embedded_folder())
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(out)
    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    print(f"build_random_model: tokenizer ({len(tokenizer)} tokens, {size / 2**20:.1f} MiB) -> {out}", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", choices=sorted(SHAPES), default="smollm2-1.7b")
    ap.add_argument("--tokenizer", help="a tokenizer folder (e.g. one --export-tokenizer wrote)")
    ap.add_argument("--out", help="where the model folder goes")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", choices=["cuda", "cpu"], help="default: cuda when present")
    ap.add_argument("--export-tokenizer", metavar="DIR", help="save the embedded SmolLM2 tokenizer into DIR")
    a = ap.parse_args()
    if a.export_tokenizer:
        export_tokenizer(a.export_tokenizer)
    if a.out or a.tokenizer:
        if not (a.out and a.tokenizer):
            ap.error("building a model needs both --tokenizer and --out")
        build(a.shape, a.tokenizer, a.out, a.seed, a.device)
    elif not a.export_tokenizer:
        ap.error("nothing to do: give --tokenizer and --out, or --export-tokenizer DIR")


if __name__ == "__main__":
    main()
