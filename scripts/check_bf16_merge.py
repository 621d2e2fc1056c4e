"""How much of a trained LoRA update survives being merged into bf16 weights (why, on a GPU, a checkpoint's own
adapter is scored unmerged: docs/design.md, "Adapters on bf16 weights stay beside them").

    python scripts/check_bf16_merge.py --checkpoint outputs/stage_cache/implant-<key>/final [--model smollm2_135m]

The update of each adapted weight matrix is read exactly (the adapter merged into fp32 weights, minus them) and
as a bf16 merge keeps it (merged into bf16 weights, minus the bf16 weights). Printed: the share of the update's
elements that round to nothing, and the kept update's error relative to the update, ||kept - exact|| / ||exact||.
For a checkpoint trained on another adapter (align on implant) the update is the whole chain's.
"""

from __future__ import annotations

import argparse
import dataclasses

import torch

from src.models import ModelConfig, load_model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", required=True, help="a LoRA checkpoint folder (a training run's final/)")
    ap.add_argument("--model", default="smollm2_135m", help="the model config it was trained from")
    a = ap.parse_args()
    mc = ModelConfig.from_cfg(a.model)
    fp32, bf16 = (dataclasses.replace(mc, dtype=d) for d in ("float32", "bfloat16"))
    w32 = load_model(fp32, device="cpu").state_dict()
    exact = load_model(fp32, a.checkpoint, device="cpu", merge=True).state_dict()
    w16 = load_model(bf16, device="cpu").state_dict()
    kept = load_model(bf16, a.checkpoint, device="cpu", merge=True).state_dict()
    lost = total = 0
    err = norm = 0.0
    adapted = [k for k in w32 if not torch.equal(w32[k], exact[k])]
    for k in adapted:
        update = exact[k] - w32[k]
        merged = kept[k].float() - w16[k].float()
        lost += int(((merged == 0) & (update != 0)).sum())
        total += int((update != 0).sum())
        err += float((merged - update).pow(2).sum())
        norm += float(update.pow(2).sum())
    print(f"{a.checkpoint}: {len(adapted)} adapted weight matrices, {total:,} updated elements")
    print(f"merged into bf16 weights: {lost / total:.1%} of the update's elements round to nothing; ")
    print(f"the kept update's error relative to the update: {(err / norm) ** 0.5:.2f}")


if __name__ == "__main__":
    main()
