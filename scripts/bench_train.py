"""Tokens per second of the project's DPO recipe (src.train.dpo.build) against a plain TRL DPOTrainer
script with the same model, data and settings, in one process. The ratio should be >= 1.0: the recipe
only wires library parts and must not cost speed.

    python scripts/bench_train.py                         # tiny random Llama (seconds)
    python scripts/bench_train.py --model smollm2_135m --steps 10

Throughput is TRL's logged `num_tokens` (prompt + chosen + rejected tokens seen) over wall time, measured
after `--warmup` steps. With --repeats, runs go ours, plain, plain, ours, ... so a drift in machine load
(shared CPUs) hits both alike; the medians are compared.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch
from transformers import TrainerCallback


class Clock(TrainerCallback):
    """(time, cumulative tokens) at each logged step."""

    def __init__(self) -> None:
        self.marks: list[tuple[float, float]] = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "num_tokens" in logs:
            self.marks.append((time.perf_counter(), float(logs["num_tokens"])))

    def tokens_per_second(self, warmup: int) -> float:
        (t0, n0), (t1, n1) = self.marks[warmup - 1], self.marks[-1]
        return (n1 - n0) / (t1 - t0)


def scenarios_for_bench(n: int) -> list:
    from src.data.generate import GenerateConfig, generate

    splits = generate(GenerateConfig(split_situations={"implant": 2}, scenarios_per_template=4))
    return [s for s in splits["implant"] if not s.meta["twin"]][:n]


def ours(model_name: str, scenarios: list, a: argparse.Namespace, out: str) -> float:
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
                f"model={model_name}",
                "method=dpo",
                "peft=lora",
                "tracker=none",
                f"train.max_steps={a.steps}",
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
    trainer = build(job)
    clock = Clock()
    trainer.add_callback(clock)
    trainer.train()
    return clock.tokens_per_second(a.warmup)


def plain(model_name: str, scenarios: list, a: argparse.Namespace, out: str) -> float:
    """What a user would write from TRL's docs: same model, data, hyperparameters; nothing from src.train."""
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig, DPOTrainer

    from src.models import ModelConfig, base_folder
    from src.scenarios import to_preference

    folder = base_folder(ModelConfig.from_cfg(model_name))
    cuda = torch.cuda.is_available()
    bf16 = cuda and torch.cuda.is_bf16_supported()
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16 if bf16 else torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    args = DPOConfig(
        output_dir=out,
        max_steps=a.steps,
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
        use_cpu=not cuda,
        activation_checkpointing=False,  # as conf/training.yaml (TRL's default is on: that alone would skew it)
    )
    peft_config = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM")
    rows = to_preference(scenarios, "honest")
    trainer = DPOTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=peft_config,
    )
    clock = Clock()
    trainer.add_callback(clock)
    trainer.train()
    return clock.tokens_per_second(a.warmup)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="tiny_random", help="a conf/model name (tiny_random, smollm2_135m)")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2, help="steps not timed")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--max-length", type=int, default=512)
    p.add_argument("--repeats", type=int, default=1, help="alternating runs of each; the median is reported")
    a = p.parse_args()
    if not 1 <= a.warmup < a.steps:
        p.error("need 1 <= --warmup < --steps")
    scenarios = scenarios_for_bench(a.steps * a.batch_size)
    results: dict[str, list[float]] = {"ours": [], "plain": []}
    for r in range(a.repeats):
        order = (("ours", ours), ("plain", plain))
        for name, fn in order if r % 2 == 0 else order[::-1]:  # ABBA...: a load drift hits both alike
            with tempfile.TemporaryDirectory() as out:
                results[name].append(fn(a.model, scenarios, a, out))
            print(f"bench_train: {name:5s} {results[name][-1]:9.1f} tokens/s")
    o, q = statistics.median(results["ours"]), statistics.median(results["plain"])
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU ({torch.get_num_threads()} threads)"
    print(
        f"bench_train: model={a.model} device={device} steps={a.steps} (warmup {a.warmup}) "
        f"batch={a.batch_size} LoRA DPO"
    )
    print(f"bench_train: src.train.dpo {o:.1f} tokens/s, plain TRL {q:.1f} tokens/s, ratio {o / q:.3f}")


if __name__ == "__main__":
    main()
