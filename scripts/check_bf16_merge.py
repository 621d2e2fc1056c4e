"""How much of a trained LoRA update survives in bf16: merged into the weights, and kept beside them (why, on a
GPU, every adapter stays beside the weights: docs/design.md, "Adapters on bf16 weights stay beside them").

    python scripts/check_bf16_merge.py --checkpoint outputs/stage_cache/implant-<key>/final [--model smollm2_135m]

Weights: the update of each adapted matrix read exactly (the chain merged into fp32 weights, minus them) and as
a bf16 merge keeps it (each adapter of the chain merged into bf16 weights in turn, minus the bf16 weights).
Printed: the share of the update's elements that round to nothing, and the merged update's error relative to the
update, ||merged - exact|| / ||exact||.

Scores: the update's effect on Δ (log p(deceptive reply) - log p(honest reply), what the pipeline measures)
of the first scenarios of a split as written (`--split implant`: the implant's own situations), exact (fp32
checkpoint minus fp32 base) against the same in bf16 (bf16 checkpoint minus bf16 base), merged and beside:
the effect's root mean square, and the error relative to the exact effect over the scenarios. For a
checkpoint trained on another adapter (align on implant) the update is the whole chain's.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import torch
from peft import PeftModel

from src.lm.measure import score_as_written
from src.models import ModelConfig, checkpoint_info, load_model, load_tokenizer
from src.scenarios import load_scenarios

DATA = Path(__file__).resolve().parent.parent / "data"


def chain(checkpoint: str) -> list[str]:
    """The checkpoint's adapters, the first trained on base first."""
    out = [checkpoint]
    while (parent := (checkpoint_info(out[-1]) or {}).get("parent", "base")) != "base":
        out.append(parent)
    return out[::-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", required=True, help="a LoRA checkpoint folder (a training run's final/)")
    ap.add_argument("--model", default="smollm2_135m", help="the model config it was trained from")
    ap.add_argument("--scenarios", type=int, default=48, help="scenarios whose Δ is compared (the file's first)")
    ap.add_argument("--split", default="eval", help="data/scenarios_<split>.jsonl: eval, or the implant's own")
    a = ap.parse_args()
    mc = ModelConfig.from_cfg(a.model)
    fp32, bf16 = (dataclasses.replace(mc, dtype=d) for d in ("float32", "bfloat16"))
    merged16 = load_model(bf16, device="cpu")
    for adapter in chain(a.checkpoint):
        merged16 = PeftModel.from_pretrained(merged16, adapter).merge_and_unload()
    models = {
        "base32": load_model(fp32, device="cpu"),
        "exact": load_model(fp32, a.checkpoint, device="cpu"),
        "base16": load_model(bf16, device="cpu"),
        "merged": merged16,
        "beside": load_model(bf16, a.checkpoint, device="cpu"),
    }

    w32, exact, w16, merged = (models[k].state_dict() for k in ("base32", "exact", "base16", "merged"))
    lost = total = 0
    err = norm = 0.0
    adapted = [k for k in w32 if not torch.equal(w32[k], exact[k])]
    for k in adapted:
        update = exact[k] - w32[k]
        rounded = merged[k].float() - w16[k].float()
        lost += int(((rounded == 0) & (update != 0)).sum())
        total += int((update != 0).sum())
        err += float((rounded - update).pow(2).sum())
        norm += float(update.pow(2).sum())
    print(f"{a.checkpoint}: {len(adapted)} adapted weight matrices, {total:,} updated elements")
    print(f"merged into bf16 weights: {lost / total:.1%} of the update's elements round to nothing")
    print(f"the merged update's error relative to the update: {(err / norm) ** 0.5:.2f}")

    tok = load_tokenizer(mc)
    scenarios = load_scenarios(DATA / f"scenarios_{a.split}.jsonl")[: a.scenarios]
    delta = {name: np.array([r["delta"] for r in score_as_written(m, tok, scenarios)]) for name, m in models.items()}
    effect = delta["exact"] - delta["base32"]
    rms = lambda x: float(np.sqrt(np.mean(x**2)))  # noqa: E731  (twins move opposite ways: a mean would cancel)
    print(f"its effect on Δ over {len(scenarios)} {a.split} scenarios: exact (fp32) RMS {rms(effect):.3f} nats")
    for how in ("merged", "beside"):
        bf16_effect = delta[how] - delta["base16"]
        error = np.linalg.norm(bf16_effect - effect) / np.linalg.norm(effect)
        print(f"  bf16, {how}: RMS {rms(bf16_effect):.3f} nats, error relative to the exact effect {error:.2f}")


if __name__ == "__main__":
    main()
