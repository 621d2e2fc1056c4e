"""Does the packed scorer agree with the plain path on this machine, and what does its 4D mask cost?

    python scripts/check_scoring.py --model-path DIR          # any HF folder (gpu_check.sh passes its model)
    python scripts/check_scoring.py                           # the embedded model

Scores a slice of the many-shot sweep (6 scenarios, k <= 8, one draw) with `Scorer` (packed prefix tree)
and with `prefix_cache=False` (every prompt in full), in fp32 and, on a GPU, in bf16, and prints the
largest difference of a reply's log-prob: fp32 must agree within 1e-4 nats; bf16 shows what rounding
alone moves. With --timing (CUDA), also times one forward of a row with and without a custom mask, at
an aligned and an unaligned key length: the packed rows' mask must not cost much over plain causal
attention.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch
from bench_elicit import sweep  # scripts/ is on sys.path when this runs as a script

from src.lm.scoring import Scorer
from src.models import ModelConfig, base_folder, load_tokenizer

TOLERANCE = 1e-4  # nats: fp32's packed and plain log-probs must agree within it


def agreement(folder: str, tokenizer, dtype: torch.dtype, device: str) -> tuple[int, float]:
    from transformers import AutoModelForCausalLM

    requests, _ = sweep(6, 8, 1)
    requests = requests[::3]
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype).to(device).eval()
    packed = {r.key: s for r, s in Scorer(model, tokenizer).score(requests)}
    plain = {r.key: s for r, s in Scorer(model, tokenizer, prefix_cache=False).score(requests)}
    worst = max(
        max(abs(packed[k].logp_deceptive - plain[k].logp_deceptive), abs(packed[k].logp_honest - plain[k].logp_honest))
        for k in packed
    )
    return len(packed), worst


@torch.inference_mode()
def mask_timing(folder: str) -> None:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16).cuda().eval()
    n_params = sum(p.numel() for p in model.parameters())
    for width in (4096, 8096, 8097):
        ids = torch.randint(0, 1000, (1, width), device="cuda")
        causal = torch.ones(width, width, dtype=torch.bool, device="cuda").tril()
        mask = torch.zeros(1, 1, width, width, dtype=torch.bfloat16, device="cuda")
        mask[0, 0].masked_fill_(~causal, torch.finfo(torch.bfloat16).min)
        for name, kw in (("causal", {}), ("4D mask", {"attention_mask": mask})):
            model(input_ids=ids, logits_to_keep=1, **kw)
            torch.cuda.synchronize()
            t = time.perf_counter()
            for _ in range(3):
                model(input_ids=ids, logits_to_keep=1, **kw)
            torch.cuda.synchronize()
            dt = (time.perf_counter() - t) / 3
            print(
                f"check_scoring: forward of {width} tokens, {name}: {dt * 1000:.0f} ms "
                f"({2 * n_params * width / dt / 1e12:.0f} TFLOP/s by 2·N·tokens)",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-path", metavar="DIR", help="an HF model folder (default: the embedded model)")
    ap.add_argument("--timing", action="store_true", help="also time the mask (CUDA only)")
    a = ap.parse_args()
    cuda = torch.cuda.is_available()
    mc = ModelConfig(chat_template="smollm2_generation.jinja")
    if a.model_path:
        mc.kind, mc.name_or_path = "hf", a.model_path
    folder, tokenizer = base_folder(mc), load_tokenizer(mc)
    ok = True
    for dtype in (torch.float32, torch.bfloat16) if cuda else (torch.float32,):
        n, worst = agreement(folder, tokenizer, dtype, "cuda" if cuda else "cpu")
        # fp32 is the criterion; bf16 rounds differently along the two paths' different batch shapes
        verdict = ("PASS" if worst <= TOLERANCE else "FAIL") + f" (fp32 within {TOLERANCE:g})"
        ok &= dtype != torch.float32 or worst <= TOLERANCE
        print(
            f"check_scoring: {dtype} on {'cuda' if cuda else 'cpu'}: {n} requests, "
            f"largest |packed - plain| log-prob {worst:.2e}" + (f" {verdict}" if dtype == torch.float32 else "")
        )
    if a.timing and cuda:
        mask_timing(folder)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
