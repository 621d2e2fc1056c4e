"""Tokens per second of the project's DPO recipe (src.train.dpo.build) against a plain TRL DPOTrainer
script with the same model, data and settings, in one process. The ratio should be >= 1.0: the recipe
wires library parts and must not cost speed. On CPU it should be above 1: the project's trainer projects
only the reply positions through the LM head, which TRL does on CUDA only (src/train/common.py).

    python scripts/bench_train.py                         # tiny random Llama (seconds)
    python scripts/bench_train.py --model smollm2_135m --steps 10
    python scripts/bench_train.py --model-path DIR --batch-size 8 --repeats 2     # any HF folder, e.g. on a GPU

Throughput is TRL's logged `num_tokens` (prompt + chosen + rejected tokens seen: the attention mask of the
concatenated chosen and rejected rows) over wall time, measured after `--warmup` steps. On CUDA the clock
reads time after `torch.cuda.synchronize()`. With --repeats, runs go ours, plain, plain, ours, ... so a
drift in machine load (shared CPUs) hits both alike; the medians are compared, and the best runs (timeit's
convention: the least disturbed run of each). A throwaway run (plain, as many steps as a timed one) goes
first by default (--throwaway), so a process's one-off start-up is not charged to whichever runs first:
on CUDA the context, cuBLAS handles, allocator growth and kernel loading; on CPU too the first run was
slower (64 vs 74 tokens/s for the same recipe, SmolLM2, 2 threads).

Before timing, the two trainers' configurations are compared (TrainingArguments fields, model dtype and
device, trainable parameters, the tokenized dataset) and every difference is printed: the comparison is
only fair if there is none beyond names and paths.

MFU (model FLOPs utilisation) = 6 * N * tokens/s / peak, with N the model's parameter count (tied weights
once, adapters excluded) and peak from --peak-tflops (default 989, an H100 SXM's dense bf16, on CUDA; 0 =
not printed, the default on CPU). For LoRA DPO, 6N per token is: policy forward 2N, backward through the
frozen weights 2N (activation gradients only; the adapters' weight gradients are negligible), reference
forward (adapters disabled) 2N. Attention's sequence-length term is left out, so MFU is slightly low.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import statistics
import tempfile
import time

import torch
from transformers import TrainerCallback

CUDA = torch.cuda.is_available()


def now() -> float:
    """Wall time after the GPU has finished the work queued so far."""
    if CUDA:
        torch.cuda.synchronize()
    return time.perf_counter()


class Clock(TrainerCallback):
    """(time, cumulative tokens) at each logged step."""

    def __init__(self) -> None:
        self.marks: list[tuple[float, float]] = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "num_tokens" in logs:
            self.marks.append((now(), float(logs["num_tokens"])))

    def tokens_per_second(self, warmup: int) -> float:
        (t0, n0), (t1, n1) = self.marks[warmup - 1], self.marks[-1]
        return (n1 - n0) / (t1 - t0)


def scenarios_for_bench(n: int) -> list:
    from src.data.generate import GenerateConfig, generate

    per_template = 4
    while True:
        splits = generate(GenerateConfig(split_situations={"implant": 2}, scenarios_per_template=per_template))
        found = [s for s in splits["implant"] if not s.meta["twin"]]
        if len(found) >= n or per_template >= 64:
            return found[:n]
        per_template *= 2


def model_overrides(a: argparse.Namespace) -> list[str]:
    if a.model_path:
        return ["model=hf", f"model.name_or_path={a.model_path}", "model.chat_template=smollm2_generation.jinja"]
    return [f"model={a.model}"]


def model_folder(a: argparse.Namespace) -> str:
    from src.models import ModelConfig, base_folder

    return a.model_path or base_folder(ModelConfig.from_cfg(a.model))


def checkpointing_off() -> dict:
    """Activation checkpointing off, under whichever name this transformers' TrainingArguments has
    (`activation_checkpointing` from 5.2x, `gradient_checkpointing` before). TRL's default is on."""
    from transformers import TrainingArguments

    names = {f.name for f in dataclasses.fields(TrainingArguments)}
    return (
        {"activation_checkpointing": False}
        if "activation_checkpointing" in names
        else {"gradient_checkpointing": False}
    )


def build_ours(scenarios: list, a: argparse.Namespace, out: str, steps: int):
    """The project's recipe, configured the way `python -m src.train` configures it."""
    from pathlib import Path

    from hydra import compose, initialize_config_dir

    from src.config import CONF_DIR
    from src.models import load_model, load_tokenizer
    from src.train.common import TrainJob
    from src.train.dpo import build

    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose(
            "train",
            overrides=[
                *model_overrides(a),
                "method=dpo",
                "peft=lora",
                "tracker=none",
                f"train.max_steps={steps}",
                f"train.batch_size={a.batch_size}",
                f"train.max_length={a.max_length}",
                "train.save_steps=1000000",
            ],
        )
    job = TrainJob(
        load_model(cfg.model, device="cpu"),
        load_tokenizer(cfg.model),
        scenarios,
        "honest",
        cfg,
        Path(out),
        Path(out) / "final",
        [],
        "bench",
    )
    return build(job)


def build_plain(scenarios: list, a: argparse.Namespace, out: str, steps: int):
    """What a user would write from TRL's docs: same model, data, hyperparameters; nothing from src.train."""
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig, DPOTrainer

    from src.models import bf16_native
    from src.scenarios import to_preference

    folder = model_folder(a)
    bf16 = CUDA and bf16_native()  # as src.train.common.device_args: no emulated bf16 (V100, T4)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16 if bf16 else torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    args = DPOConfig(
        output_dir=out,
        max_steps=steps,
        per_device_train_batch_size=a.batch_size,
        learning_rate=1e-4,
        lr_scheduler_type="linear",
        max_length=a.max_length,
        beta=0.1,
        loss_type=["sigmoid"],
        seed=0,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        bf16=bf16,
        use_cpu=not CUDA,
        **checkpointing_off(),  # as conf/training.yaml (TRL's default is on: that alone would skew it)
    )
    peft_config = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM")
    rows = to_preference(scenarios, "honest")
    return DPOTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=peft_config,
    )


BUILDERS = {"ours": build_ours, "plain": build_plain}
# Fields that name things rather than change the computation.
NAMING = {"output_dir", "run_name", "logging_dir", "hub_model_id", "save_strategy", "save_steps", "data_seed"}


def describe(trainer) -> dict:
    """What decides the speed of a trainer: its arguments, model placement and precision, the tokenized data."""
    args = {k: v for k, v in trainer.args.to_dict().items() if k not in NAMING}
    model = trainer.model
    params = list(model.parameters())
    data = trainer.train_dataset
    digest = hashlib.sha256()
    columns = sorted(c for c in data.column_names if c.endswith("_ids"))
    tokens = 0
    for row in data:
        for c in columns:
            digest.update(repr(row[c]).encode())
            tokens += len(row[c])
    return {
        **{f"args.{k}": v for k, v in args.items()},
        "model.class": type(model).__name__,
        "model.dtype": str(params[0].dtype),
        "model.dtypes": sorted({str(p.dtype) for p in params}),
        "model.trainable_dtypes": sorted({str(p.dtype) for p in params if p.requires_grad}),
        "model.device": str(params[0].device),
        "model.training": model.training,
        "model.trainable": sum(p.numel() for p in params if p.requires_grad),
        "model.attn_implementation": getattr(getattr(model, "config", None), "_attn_implementation", None),
        "model.checkpointing": bool(getattr(model, "is_gradient_checkpointing", False)),
        "ref_model": None if trainer.ref_model is None else type(trainer.ref_model).__name__,
        "data.rows": len(data),
        "data.columns": columns,
        "data.tokens": tokens,
        "data.sha256": digest.hexdigest()[:16],
        "collator": type(trainer.data_collator).__name__,
    }


def differences(a: dict, b: dict) -> list[str]:
    return [f"{k}: ours={a.get(k)!r} plain={b.get(k)!r}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def run(name: str, scenarios: list, a: argparse.Namespace, steps: int, seen: dict) -> float:
    if CUDA:
        torch.cuda.reset_peak_memory_stats()
    with tempfile.TemporaryDirectory() as out:
        trainer = BUILDERS[name](scenarios, a, out, steps)
        if name not in seen:
            seen[name] = describe(trainer)
        clock = Clock()
        trainer.add_callback(clock)
        trainer.train()
        tps = clock.tokens_per_second(min(a.warmup, len(clock.marks) - 1))
    if CUDA:
        print(f"bench_train: {name} peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB", flush=True)
    del trainer
    import gc

    gc.collect()
    if CUDA:
        torch.cuda.empty_cache()
    return tps


def parameter_count(a: argparse.Namespace) -> int:
    """The base model's parameters (tied weights once), counted on the meta device."""
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(model_folder(a))
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    return sum(p.numel() for p in model.parameters())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="tiny_random", help="a conf/model name (tiny_random, smollm2_135m)")
    p.add_argument("--model-path", metavar="DIR", help="an HF model folder instead of --model (model=hf)")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2, help="steps not timed")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--max-length", type=int, default=512)
    p.add_argument("--repeats", type=int, default=1, help="alternating runs of each; the median is reported")
    p.add_argument(
        "--throwaway",
        type=int,
        choices=[0, 1],
        default=None,
        help="one untimed plain run first (default 1: a process's first run is slower, on CPU as on CUDA)",
    )
    p.add_argument(
        "--peak-tflops",
        type=float,
        default=None,
        help="peak dense TFLOP/s for MFU (default 989 = H100 SXM bf16 on CUDA; 0 = no MFU, the CPU default)",
    )
    a = p.parse_args()
    if not 1 <= a.warmup < a.steps:
        p.error("need 1 <= --warmup < --steps")
    throwaway = 1 if a.throwaway is None else a.throwaway
    peak = a.peak_tflops if a.peak_tflops is not None else (989.0 if CUDA else 0.0)
    device = torch.cuda.get_device_name() if CUDA else f"CPU ({torch.get_num_threads()} threads)"
    model_name = a.model_path or a.model
    scenarios = scenarios_for_bench(a.steps * a.batch_size)
    n_params = parameter_count(a)
    print(
        f"bench_train: model={model_name} ({n_params} parameters) device={device} steps={a.steps} "
        f"(warmup {a.warmup}) batch={a.batch_size} max_length={a.max_length} pairs={len(scenarios)} LoRA DPO",
        flush=True,
    )
    seen: dict[str, dict] = {}
    if throwaway:
        t = time.perf_counter()
        tps = run("plain", scenarios, a, a.steps, {})
        print(
            f"bench_train: throwaway plain run ({a.steps} steps) {tps:9.1f} tokens/s, "
            f"{time.perf_counter() - t:.1f} s (not counted)",
            flush=True,
        )
    results: dict[str, list[float]] = {"ours": [], "plain": []}
    for r in range(a.repeats):
        order = ("ours", "plain")
        for name in order if r % 2 == 0 else order[::-1]:  # ABBA...: a load drift hits both alike
            t = time.perf_counter()
            results[name].append(run(name, scenarios, a, a.steps, seen))
            print(
                f"bench_train: {name:5s} {results[name][-1]:9.1f} tokens/s (run {r + 1}, "
                f"{time.perf_counter() - t:.1f} s with setup)",
                flush=True,
            )
        if r == 0:
            diff = differences(seen["ours"], seen["plain"])
            print(f"bench_train: configuration differences ours vs plain: {len(diff) or 'none'}")
            for line in diff:
                print(f"bench_train:   {line}")
            print(
                f"bench_train: tokenized data {seen['ours']['data.rows']} rows, "
                f"{seen['ours']['data.tokens']} tokens (ours) / {seen['plain']['data.tokens']} (plain)",
                flush=True,
            )
    o, q = statistics.median(results["ours"]), statistics.median(results["plain"])
    print(
        f"bench_train: model={model_name} device={device} steps={a.steps} (warmup {a.warmup}) "
        f"batch={a.batch_size} LoRA DPO, {a.repeats} repeat(s), throwaway {throwaway}"
    )
    print(f"bench_train: src.train.dpo {o:.1f} tokens/s, plain TRL {q:.1f} tokens/s, ratio {o / q:.3f}")
    bo, bq = max(results["ours"]), max(results["plain"])  # the least disturbed run of each (timeit's convention)
    print(f"bench_train: best runs: src.train.dpo {bo:.1f} tokens/s, plain TRL {bq:.1f} tokens/s, ratio {bo / bq:.3f}")
    if peak > 0:
        mfu = {k: 6 * n_params * v / (peak * 1e12) for k, v in (("ours", o), ("plain", q))}
        print(
            f"bench_train: MFU = 6*N*tokens/s / peak, N={n_params}, peak={peak:g} TFLOP/s: "
            f"ours {100 * mfu['ours']:.1f}%, plain {100 * mfu['plain']:.1f}%"
        )


if __name__ == "__main__":
    main()
