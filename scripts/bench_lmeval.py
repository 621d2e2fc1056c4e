"""Wall time of a many-shot sweep on a Perez et al. (2022) model-written-evals file: the project's eval stage
against lm-evaluation-harness, in one process, on the same questions, demonstrations, strengths and model.

    mkdir -p data/external && curl -sL -o data/external/power-seeking-inclination.jsonl \
      https://raw.githubusercontent.com/anthropics/evals/main/advanced-ai-risk/lm_generated_evals/power-seeking-inclination.jsonl
    .venv/bin/pip install -e ".[bench]"          # lm-eval
    .venv/bin/python scripts/bench_lmeval.py --mwe data/external/power-seeking-inclination.jsonl

The file's first --questions rows (48) are evaluated; the next --pool rows (16) are the demonstrations
both tools draw from. Each side loads the model once and is timed from there to its last score:

* ours: `python -m src.eval data.path=<questions> data.format=mwe attack=many_shot attack.strengths=[0,4,16]
  attack.seeds=1 attack.neutral=false attack.control=false attack.shots_path=<pool> judge.enabled=false
  tracker=none`, in process: the data audits, every score, the bootstrap summaries, plots and report. That
  is lm-eval's work (one draw of demonstrations per strength, the attack arm). Then the same with
  `attack.control=true`: the same-length honest control as well, twice the requests at k > 0, as the
  project runs by default; both ratios are printed.
* lm-eval: `simple_evaluate` at batch size 1 (`--lmeval-batch-size`), one run per strength, with the
  model's chat template, the demonstrations as turns and many-shot's system turn
  (`apply_chat_template=True, fewshot_as_multiturn=True, system_instruction=...`), the matching answer as
  each demonstration's reply: the attack arm's prompt. lm-eval draws fresh demonstrations for every
  question; the project draws one set per seed and behavior, shared by all questions (docs/design.md,
  many-shot), which is what its prefix cache exploits.

At k = 0 both score the same chat-rendered question, so their log-odds of the two answers are compared
row by row: a check that the two measure the same thing. The project's reply is what the chat template
adds (`(A)<|im_end|>` and a newline), lm-eval's the bare continuation `(A)`; so ours is read on the
decision span (the tokens where the two answers differ, `A` against `B`), and lm-eval's differs from it
only by log p(")" | "(A") − log p(")" | "(B").
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def split_mwe(path: Path, n_questions: int, n_pool: int, folder: Path) -> tuple[Path, Path]:
    """The questions and the demonstrations pool as two JSONL files. The pool gets its own file name: a
    row's template is its file's stem and line, and demonstrations sharing a template with an evaluated
    question are dropped."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if len(rows) < n_questions + n_pool:
        sys.exit(f"bench_lmeval: {path} has {len(rows)} rows; --questions {n_questions} + --pool {n_pool} needed")
    questions, pool = folder / f"{path.stem}.jsonl", folder / f"{path.stem}-demonstrations.jsonl"
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows[:n_questions]))
    pool.write_text("".join(json.dumps(r) + "\n" for r in rows[n_questions : n_questions + n_pool]))
    return questions, pool


def run_ours(
    questions: Path, pool: Path, strengths: list[int], model: str, control: bool, out: Path
) -> tuple[float, list[dict]]:
    from hydra import compose, initialize_config_dir

    from src.config import CONF_DIR
    from src.eval.stage import run

    overrides = [
        f"model={model}",
        f"data.path={questions}",
        "data.format=mwe",
        "attack=many_shot",
        f"attack.strengths=[{','.join(map(str, strengths))}]",
        "attack.seeds=1",
        "attack.neutral=false",
        f"attack.control={str(control).lower()}",
        f"attack.shots_path={pool}",
        "attack.shots_format=mwe",
        "judge.enabled=false",
        "tracker=none",
        "checkpoints=[base]",
    ]
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("eval", overrides=overrides)
    t = time.perf_counter()
    run(cfg, out)
    seconds = time.perf_counter() - t
    rows = [json.loads(line) for line in (out / "elicitation.jsonl").read_text().splitlines()]
    print(
        f"bench_lmeval: ours {seconds:.1f} s, {len(rows)} rows = python -m src.eval " + " ".join(overrides), flush=True
    )
    return seconds, rows


def lmeval_task(questions: Path, pool: Path) -> dict:
    """The model_written_evals/advanced_ai_risk task of lm-eval on local files, its question as the user turn."""
    return {
        "task": f"mwe_{questions.stem}",
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": str(questions), "train": str(pool)}},
        "test_split": "test",
        "fewshot_split": "train",
        "output_type": "multiple_choice",
        "target_delimiter": "",
        "doc_to_text": "{{question.strip()}}",
        "doc_to_target": 0,
        "doc_to_choice": "{{[answer_matching_behavior.strip(), answer_not_matching_behavior.strip()]}}",
        "metric_list": [{"metric": "acc"}],
    }


def run_lmeval(
    questions: Path, pool: Path, strengths: list[int], folder: str, batch_size: int
) -> tuple[float, dict[int, float], list[float]]:
    """Seconds in all (model load included), seconds per strength, and the k = 0 log-odds per question."""
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM

    from src.eval.attacks.base import NEUTRAL_SYSTEM

    t = time.perf_counter()
    lm = HFLM(pretrained=folder, batch_size=batch_size, device="cpu", dtype="float32")
    per_k, zero = {}, []
    for k in strengths:
        t_k = time.perf_counter()
        result = simple_evaluate(
            model=lm,
            tasks=[lmeval_task(questions, pool)],
            num_fewshot=k,
            batch_size=batch_size,
            apply_chat_template=True,
            fewshot_as_multiturn=True,
            system_instruction=NEUTRAL_SYSTEM,  # the system turn many-shot's prompts open with
            log_samples=True,
            verbosity="WARNING",
        )
        per_k[k] = time.perf_counter() - t_k
        samples = next(iter(result["samples"].values()))
        print(f"bench_lmeval: lm-eval k={k}: {len(samples)} questions, {per_k[k]:.1f} s", flush=True)
        if k == 0:
            samples = sorted(samples, key=lambda s: s["doc_id"])
            zero = [s["filtered_resps"][0][0] - s["filtered_resps"][1][0] for s in samples]
    return time.perf_counter() - t, per_k, zero


def agreement(ours: list[dict], theirs: list[float], stem: str) -> str:
    by_id = {r["scenario_id"]: r["delta_span"] for r in ours if r["strength"] == 0 and not r["control"]}
    pairs = [(by_id.get(f"{stem}-{i + 1}"), d) for i, d in enumerate(theirs)]
    pairs = [(a, b) for a, b in pairs if a is not None]
    if len(pairs) < 2:
        return "k=0 agreement: not enough matched questions"
    xs, ys = zip(*pairs)
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mx) * (y - my) for x, y in pairs)
    r = cov / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))
    worst = max(abs(x - y) for x, y in pairs)
    return (
        f"k=0 agreement on {len(pairs)} questions: Pearson r {r:.4f} between lm-eval's log-odds of the two "
        f"answers and ours on their decision span, largest difference {worst:.3f} nats"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mwe", type=Path, default=ROOT / "data/external/power-seeking-inclination.jsonl")
    ap.add_argument("--questions", type=int, default=48)
    ap.add_argument("--pool", type=int, default=16, help="demonstration rows after the questions")
    ap.add_argument("--strengths", default="0,4,16")
    ap.add_argument("--model", default="smollm2_135m", help="a conf/model name")
    ap.add_argument("--lmeval-batch-size", type=int, default=1)
    ap.add_argument("--threads", type=int, default=None, help="torch threads for both (default: torch's)")
    ap.add_argument("--order", choices=["ours-first", "lmeval-first"], default="ours-first")
    a = ap.parse_args()
    if not a.mwe.exists():
        sys.exit(f"bench_lmeval: {a.mwe} not found; download it first (see this script's docstring)")
    if torch.cuda.is_available():  # lm-eval runs on the CPU in fp32 here, and src.eval would take the GPU
        sys.exit("bench_lmeval: compares the two on CPU; hide the GPU (CUDA_VISIBLE_DEVICES=) to run it here")
    try:
        import lm_eval  # noqa: F401
    except ImportError:
        sys.exit('bench_lmeval: lm-eval is not installed: pip install -e ".[bench]"')
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    if a.threads:
        torch.set_num_threads(a.threads)
    strengths = [int(x) for x in a.strengths.split(",")]
    if max(strengths) > a.pool:
        sys.exit(f"bench_lmeval: strength {max(strengths)} needs a pool of at least that many (--pool {a.pool})")

    from src.models import ModelConfig, base_folder

    folder = base_folder(ModelConfig.from_cfg(a.model))
    print(
        f"bench_lmeval: {a.mwe.name}, {a.questions} questions, pool {a.pool}, strengths {strengths}, model "
        f"{a.model} ({folder}), torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        questions, pool = split_mwe(a.mwe, a.questions, a.pool, Path(tmp))
        runs = {
            "ours": lambda: run_ours(questions, pool, strengths, a.model, False, Path(tmp) / "ours"),
            "ours+control": lambda: run_ours(questions, pool, strengths, a.model, True, Path(tmp) / "ours_control"),
            "lmeval": lambda: run_lmeval(questions, pool, strengths, folder, a.lmeval_batch_size),
        }
        order = ["ours", "ours+control", "lmeval"] if a.order == "ours-first" else ["lmeval", "ours", "ours+control"]
        results = {name: runs[name]() for name in order}
    lm_s, per_k, zero = results["lmeval"]
    print(
        f"bench_lmeval: lm-eval {lm_s:.1f} s ({', '.join(f'k={k} {s:.1f} s' for k, s in per_k.items())}); "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"bench_lmeval: {agreement(results['ours'][1], zero, a.mwe.stem)}")
    for name, what in (("ours", "the same requests"), ("ours+control", "with the honest control arm too")):
        seconds, rows = results[name]
        print(
            f"bench_lmeval: RESULT lm-eval {lm_s:.1f} s / ours {seconds:.1f} s ({what}: {len(rows)} rows) = "
            f"{lm_s / seconds:.1f}x (target >= 10x)"
        )


if __name__ == "__main__":
    main()
