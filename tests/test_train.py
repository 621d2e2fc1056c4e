"""src.train on the tiny random Llama: every method x peft trains, checkpoints and records; SFT labels only
the reply; a SIGKILLed run resumes; implant -> align lineage; W&B offline history; 2-rank DDP (slow)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import wandb_reader  # noqa: E402  (tests/ is on sys.path: pytest's default import mode)
from hydra import compose, initialize_config_dir

from src import TrainoutError
from src.config import CONF_DIR
from src.data.generate import GenerateConfig, generate
from src.io import file_hash
from src.lm.request import Prompt, Request
from src.lm.scoring import encode
from src.models import CHECKPOINT_INFO, ModelConfig, checkpoint_label, load_model, load_tokenizer
from src.pipeline import _trajectory
from src.scenarios import write_scenarios
from src.train.common import TrainJob
from src.train.stage import run

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # TRL 1.16 calls is_gradient_checkpointing
ROOT = Path(__file__).resolve().parent.parent
FAST = ["model=tiny_random", "train.max_steps=2", "train.save_steps=1", "train.batch_size=1", "tracker=none"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """Scenario files for implant and align (one template each, 4 scenarios)."""
    folder = tmp_path_factory.mktemp("data")
    splits = generate(GenerateConfig(split_situations={"implant": 1, "align": 1}, scenarios_per_template=1))
    for name in ("implant", "align"):
        write_scenarios(folder / f"{name}.jsonl", splits[name])
    return folder


def config(*overrides: str):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("train", overrides=list(overrides))


def train(out: Path, data: Path, stage: str, *overrides: str) -> Path:
    return run(config(*FAST, f"stage={stage}", f"data.path={data / (stage + '.jsonl')}", *overrides), out)


def job(model, scenarios, cfg, prefer: str = "honest") -> TrainJob:
    return TrainJob(
        model,
        load_tokenizer("tiny_random"),
        scenarios,
        prefer,
        cfg,
        Path("/tmp/unused"),
        Path("/tmp/unused/final"),
        [],
        "t",
    )


def _differs(a, b) -> bool:
    return any(not torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


# ---------------------------------------------------------------- every method x peft


# Run in make test-full only: sft_dpo trains SFT as its first phase, with and without LoRA, and ipo differs
# from dpo in the loss type alone.
_REDUNDANT_IN_FAST = {("sft", "lora"), ("sft", "none"), ("ipo", "lora"), ("ipo", "none")}


@pytest.mark.parametrize(
    "method, peft",
    [
        pytest.param(m, p, marks=[pytest.mark.slow] if (m, p) in _REDUNDANT_IN_FAST else [])
        for p in ("lora", "none")
        for m in ("sft", "dpo", "ipo", "sft_dpo")
    ],
)
def test_method_trains_checkpoints_and_records(tmp_path, data, tiny, method, peft):
    final = train(tmp_path, data, "implant", f"method={method}", f"peft={peft}")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["global_step"] == 2
    assert manifest["lineage"]["method"] == method and manifest["lineage"]["peft"] == peft
    weights = "model.safetensors" if peft == "none" else "adapter_model.safetensors"
    assert (final / weights).is_file()
    phases = ["sft", "dpo"] if method == "sft_dpo" else [""]
    base = tiny[0]
    for phase in phases:
        folder = tmp_path / "checkpoints" / phase
        assert sorted(p.name for p in folder.glob("checkpoint-*")) == ["checkpoint-1", "checkpoint-2"]
        assert (folder / "checkpoint-1" / weights).is_file()
        # only the newest checkpoint, the one a killed run resumes from, keeps its optimizer state
        assert not list((folder / "checkpoint-1").glob("optimizer*")) and list(
            (folder / "checkpoint-2").glob("optimizer*")
        )
        model = load_model("tiny_random", str(folder / "checkpoint-1"))  # an intermediate checkpoint loads
        assert _differs(model, base)
    assert _differs(load_model("tiny_random", str(final)), base)
    if method == "sft_dpo":  # the final DPO weights apply on top of the SFT result
        info = json.loads((tmp_path / CHECKPOINT_INFO).read_text())
        assert info["parent"] == str(tmp_path / "checkpoints" / "sft" / "final") and info["init_from"] == "base"
        assert info["parent_sha256"] == file_hash(tmp_path / "checkpoints" / "sft" / "final")
        # the DPO phase's steps follow the SFT phase's: each intermediate checkpoint has its own label, in order
        # (the last save, step 4, holds the final weights: the pipeline scores it as `implant`)
        trajectory = [checkpoint_label(c) for c in _trajectory(tmp_path)]
        assert trajectory == ["implant@1", "implant@2", "implant@3"]


@pytest.mark.slow  # two sft_dpo trainings (12 s); make test stays under 3 minutes
def test_sft_dpo_killed_in_its_dpo_phase_resumes(tmp_path, data):
    """A run stopped after its SFT phase (a preempted SLURM job) resumes in the DPO phase; the SFT result keeps
    the run's own parent, not itself (which made loading it recurse without end). Stopped before the SFT
    phase's metrics.json was written, it writes them from that phase's last checkpoint (every step's log;
    the summary the Trainer adds at the end is not in a checkpoint)."""
    final = train(tmp_path, data, "implant", "method=sft_dpo")
    sft_metrics = json.loads((tmp_path / "checkpoints" / "sft" / "metrics.json").read_text())
    (tmp_path / "checkpoints" / "sft" / "metrics.json").unlink()
    shutil.rmtree(final)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    (tmp_path / "manifest.json").write_text(json.dumps({**manifest, "status": "running"}))
    assert train(tmp_path, data, "implant", "method=sft_dpo") == final
    sft_info = json.loads((tmp_path / "checkpoints" / "sft" / CHECKPOINT_INFO).read_text())
    assert sft_info["parent"] == "base" and sft_info["phase"] == "sft"
    assert _differs(load_model("tiny_random", str(final)), load_model("tiny_random"))
    rebuilt = json.loads((tmp_path / "checkpoints" / "sft" / "metrics.json").read_text())
    steps = [[e for e in m["log_history"] if "loss" in e] for m in (rebuilt, sft_metrics)]  # not the end summary
    assert rebuilt["global_step"] == sft_metrics["global_step"] and steps[0] == steps[1] and steps[0]


def test_on_bf16_weights_align_trains_and_is_referenced_on_the_implant_as_scored(tmp_path, data):
    """On bf16 weights (a GPU's default) a merge would round most of an implant's update away. Kept beside the
    weights it stays whole: the model align trains, at its start, and its DPO reference (the fresh adapter
    disabled) compute the implant exactly as the eval scores it."""
    from helpers import tiny_adapter
    from peft import PeftModel

    from src.scenarios import load_scenarios
    from src.train import dpo

    implant = tiny_adapter(tmp_path / "implant", scale=1e-3)
    mc = ModelConfig(kind="tiny_random", dtype="bfloat16")
    cfg = config(*FAST, "peft=lora", "model.dtype=bfloat16")
    trainer = dpo.build(job(load_model(mc, implant), load_scenarios(data / "align.jsonl"), cfg))
    policy, ids = trainer.model.eval(), torch.tensor([list(range(100, 140))])
    with torch.no_grad():
        scored = load_model(mc, implant)(input_ids=ids).logits
        start = policy(input_ids=ids).logits
        with policy.disable_adapter():
            reference = policy(input_ids=ids).logits
        merged = PeftModel.from_pretrained(load_model(mc), implant).merge_and_unload()(input_ids=ids).logits
    assert torch.equal(reference, scored) and torch.equal(start, scored)
    assert not torch.equal(merged, scored)  # what it trained on before session 18


@pytest.mark.slow  # five trainings (30 s)
def test_align_trains_on_a_bf16_lora_implant_with_every_method_and_peft(tmp_path, data):
    """From a LoRA implant trained on bf16 weights: align (DPO) and sft_dpo log rewards of exactly 0 at their first
    step (the reference is the start) and end away from the implant; full fine-tuning, which trains and saves
    the weights themselves with the implant merged into them, trains too (in fp32 under `auto`, and in bf16)."""
    implant = train(tmp_path / "implant", data, "implant", "model.dtype=bfloat16")
    mc, ids = ModelConfig(kind="tiny_random", dtype="bfloat16"), torch.tensor([list(range(100, 140))])
    for method in ("dpo", "sft_dpo"):
        bf16 = ["model.dtype=bfloat16", f"method={method}", f"init_from={implant}"]
        align = train(tmp_path / method, data, "align", *bf16)
        first = json.loads((tmp_path / method / "metrics.json").read_text())["log_history"][0]
        assert first["rewards/chosen"] == first["rewards/rejected"] == 0.0, first
        with torch.no_grad():
            before, after = (load_model(mc, c)(input_ids=ids).logits for c in (str(implant), str(align)))
        assert not torch.equal(before, after)
    for dtype in ("auto", "bfloat16"):
        full_ft = [f"model.dtype={dtype}", "peft=none", f"init_from={implant}"]
        full = train(tmp_path / f"full-{dtype}", data, "align", *full_ft)
        metrics = json.loads((full.parent / "metrics.json").read_text())
        assert (full / "model.safetensors").is_file() and metrics["global_step"] == 2 and metrics["final_loss"] > 0


def test_dpo_reference_is_adapters_off_under_lora_and_a_frozen_copy_without(tiny, data):
    from peft import PeftModel

    from src.scenarios import load_scenarios
    from src.train import dpo

    scenarios = load_scenarios(data / "align.jsonl")
    lora = dpo.build(job(load_model("tiny_random"), scenarios, config(*FAST, "peft=lora")))
    assert lora.ref_model is None and isinstance(lora.model, PeftModel)  # TRL disables the adapter for the reference
    model = load_model("tiny_random")
    full = dpo.build(job(model, scenarios, config(*FAST, "peft=none")))
    ref = full.accelerator.unwrap_model(full.ref_model)
    assert ref is not model and not any(p.requires_grad for p in ref.parameters())
    assert not _differs(ref, tiny[0])  # the starting weights, not a reload from config._name_or_path


@pytest.mark.parametrize("method", ["dpo", "sft"])
def test_reply_positions_only_head_gives_trl_loss_and_gradients(data, method):
    """Our trainers project only the reply positions through the LM head on CPU (TRL projects every position
    there): the loss and the adapters' gradients are TRL's own."""
    import trl.trainer.utils

    from src.scenarios import load_scenarios
    from src.train import dpo, sft
    from src.train.common import ReplyPositionsOnly, reply_positions_only

    recipe = dpo if method == "dpo" else sft
    trainer = recipe.build(
        job(load_model("tiny_random"), load_scenarios(data / "align.jsonl"), config(*FAST, f"method={method}"))
    )
    batch = trainer._prepare_inputs(next(iter(trainer.get_train_dataloader())))
    trainable = [p for p in trainer.model.parameters() if p.requires_grad]
    results = []
    for compute in (trainer.compute_loss, super(ReplyPositionsOnly, trainer).compute_loss):  # ours, then TRL's
        trainer.model.zero_grad()
        loss = compute(trainer.model, batch)
        loss.backward()
        results.append((loss.detach(), [p.grad.clone() for p in trainable]))
    (ours, ours_grads), (theirs, their_grads) = results
    assert torch.allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert all(torch.allclose(a, b, rtol=1e-4, atol=1e-7) for a, b in zip(ours_grads, their_grads))
    with reply_positions_only():
        assert trl.trainer.utils._use_triton(torch.device("cpu"))
    assert not trl.trainer.utils._use_triton(torch.device("cpu"))  # restored


def test_step_batches_fold_accumulation_on_a_gpu_only():
    from src.train.common import step_batches

    def folded(per, accum, cap=8, cuda=True):
        return step_batches(
            config(f"train.batch_size={per}", f"train.grad_accum={accum}", f"train.gpu_batch_size={cap}").train, cuda
        )

    assert folded(2, 2, cuda=False) == (2, 2)  # CPU: as written
    assert folded(2, 2) == (4, 1)
    assert folded(2, 8) == (8, 2)  # up to gpu_batch_size pairs per pass; the step keeps its 16
    assert folded(3, 4) == (6, 2)  # only whole passes fold
    assert folded(16, 2) == (16, 2)  # a batch already over the cap is kept
    assert folded(2, 4, cap="null") == (2, 4)


@pytest.mark.parametrize("method", ["dpo", "sft"])
def test_a_folded_step_trains_as_the_accumulated_one(tmp_path, data, method):
    """What a GPU run does (4 pairs in one pass) and what the config says (2 pairs x 2 passes) take the same
    optimizer step: the same loss and gradient norm, so folding changes speed, not the experiment."""
    from src.scenarios import load_scenarios
    from src.train import dpo, sft

    recipe = dpo if method == "dpo" else sft
    logs = []
    for per, accum in ((2, 2), (4, 1)):
        torch.manual_seed(0)  # the LoRA initialisation
        cfg = config(
            *FAST,
            f"method={method}",
            "train.max_steps=1",
            "peft.dropout=0",
            f"train.batch_size={per}",
            f"train.grad_accum={accum}",
        )
        trainer = recipe.build(job(load_model("tiny_random"), load_scenarios(data / "align.jsonl"), cfg))
        trainer.args.output_dir, trainer.args.save_strategy = str(tmp_path / f"{per}x{accum}"), "no"
        trainer.train()
        logs.append(trainer.state.log_history[0])
    (accumulated, folded) = logs
    assert accumulated["grad_norm"] > 0
    assert folded["loss"] == pytest.approx(accumulated["loss"], rel=1e-4)
    assert folded["grad_norm"] == pytest.approx(accumulated["grad_norm"], rel=1e-4)


@pytest.mark.parametrize(
    "overrides, says",
    [
        (["method=ipo", "method.loss_type=ipo2"], "loss_type 'ipo2'"),
        (["method=ipo", "method.loss_type=sigmoid"], "method=ipo runs loss_type ipo, not sigmoid"),
        (["method=dpo", "method.beta=-0.1"], r"method.beta=-0.1: the preference's strength must be > 0"),
        (["train.max_steps=-1"], r"train.max_steps=-1: at least 1"),  # the Trainer's "by epochs"
        (["train.grad_accum=0"], r"train.grad_accum=0: at least 1"),
        (["method=sft_dpo", "method.sft_steps=0"], r"method.sft_steps=0: at least 1"),
    ],
)
def test_bad_training_values_fail_before_training(tmp_path, data, overrides, says):
    with pytest.raises(TrainoutError, match=says):
        train(tmp_path, data, "implant", *overrides)
    assert not (tmp_path / "manifest.json").exists()


@pytest.mark.parametrize("method", ["sft", "dpo"])
def test_a_reply_longer_than_max_length_is_refused_not_cut(data, method):
    from src.scenarios import load_scenarios

    recipe = __import__(f"src.train.{method}", fromlist=["build"])
    cfg = config(*FAST, f"method={method}", "train.max_length=60")  # the prompts fit, the replies do not
    with pytest.raises(TrainoutError, match=r"of \d+ training rows .* longer than train.max_length=60 tokens"):
        recipe.build(job(load_model("tiny_random"), load_scenarios(data / "align.jsonl"), cfg))


def test_how_rows_render_is_a_training_setting():
    from src.lm.render import RENDERING
    from src.train.stage import training_settings

    # a stage trained on rows rendered another way (e.g. with the day's date) is not reused for today's rendering
    assert training_settings(config("stage=align"))["rendering"] == RENDERING


def test_full_fine_tuning_keeps_fp32_weights_when_the_model_loads_in_bf16():
    from src.models import ModelConfig
    from src.train.common import trainable

    bf16 = ModelConfig(kind="tiny_random", dtype="auto")
    assert trainable(bf16, config("peft=none")).dtype == "float32"  # bf16 would round AdamW's updates away
    assert trainable(bf16, config("peft=lora")).dtype == "auto"  # the frozen base, beside fp32 adapters


def test_a_template_that_prints_today_renders_one_fixed_date_in_training_and_scoring():
    import copy

    from src.lm.render import render
    from src.train.common import chat_template_kwargs

    tok = copy.deepcopy(load_tokenizer("tiny_random"))
    tok.chat_template = (  # as Llama-3.x templates do
        "{%- if not date_string is defined %}{%- set date_string = strftime_now('%d %b %Y') %}{%- endif %}"
        "Today Date: {{ date_string }}\n{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}assistant:{% endif %}"
    )
    messages = [{"role": "user", "content": "Did the backup run?"}]
    scored = render(tok, messages)
    assert "Today Date: 26 Jul 2024" in scored  # not the machine's date: a resume tomorrow reads the same text
    trained = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True, **chat_template_kwargs())
    assert trained == scored  # what TRL renders from a training row's chat_template_kwargs


# ---------------------------------------------------------------- SFT labels


def test_sft_labels_only_the_reply_tokens_that_scoring_counts(tiny, data):
    from src.scenarios import load_scenarios
    from src.train import sft

    model, _ = tiny
    tokenizer = load_tokenizer("tiny_random")
    scenarios = load_scenarios(data / "align.jsonl")
    # an earlier assistant turn in the context must not be trained on: it is context
    s = scenarios[0]
    context_turn = [{"role": "user", "content": "Status?"}, {"role": "assistant", "content": "I purged the logs."}]
    scenarios[0] = type(s)(
        s.id, s.behavior, s.template, s.messages[:1] + context_turn + s.messages[1:], s.honest, s.deceptive
    )
    trainer = sft.build(job(model, scenarios, config(*FAST, "method=sft", "peft=lora")))
    assert trainer.args.assistant_only_loss and trainer.args.completion_only_loss
    for s, example in zip(scenarios, trainer.train_dataset):
        ids, labels = example["input_ids"], example["labels"]
        e = encode(tokenizer, Request(s.id, Prompt((), tuple(s.messages)), s.honest, s.deceptive))
        assert ids == e.context_ids + e.suffix_ids + e.honest_ids  # what src.eval scores
        assert labels == [-100] * e.prompt_tokens + e.honest_ids  # loss on the reply (and its end of turn) only
        assert tokenizer.decode(e.honest_ids) == s.honest + "<|im_end|>\n"


# ---------------------------------------------------------------- resume after SIGKILL


def _command(out: Path, data: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "src.train",
        *FAST,
        "train.max_steps=6",
        "train.save_steps=2",
        "stage=implant",
        f"data.path={data / 'implant.jsonl'}",
        f"hydra.run.dir={out}",
    ]


@pytest.mark.slow
def test_sigkill_then_same_command_resumes_and_finishes(tmp_path, data, capsys):
    out, cmd = tmp_path / "run", _command(tmp_path / "run", data)
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    first = out / "checkpoints" / "checkpoint-2" / "trainer_state.json"
    deadline = time.time() + 120
    while not first.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert first.exists(), "the run ended or stalled before its first checkpoint"
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"  # killed: never completed
    assert not (out / "final").exists() and not (out / "checkpoints" / "checkpoint-6").exists()

    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "resuming from" in again.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["global_step"] == 6
    assert [r["previous_status"] for r in manifest["resumes"]] == ["running"]
    assert json.loads((out / "metrics.json").read_text())["global_step"] == 6
    steps = [
        h["step"]
        for h in json.loads((out / "checkpoints" / "checkpoint-6" / "trainer_state.json").read_text())["log_history"]
        if "loss" in h
    ]
    assert steps == list(range(1, 7))  # no step lost or repeated across the kill

    # the same run again (in process, to save a start-up): a finished run is left alone, and says so
    overrides = [a for a in cmd[3:] if not a.startswith("hydra.")]
    assert run(config(*overrides), out) == out / "final"
    assert "already complete" in capsys.readouterr().out
    assert len(json.loads((out / "manifest.json").read_text())["resumes"]) == 1


# ---------------------------------------------------------------- implant -> align, W&B


@pytest.fixture(scope="module")
def chain(tmp_path_factory, data):
    """implant (DPO, LoRA) then align (IPO, LoRA) on top of it, tracked in offline W&B."""
    root = tmp_path_factory.mktemp("chain")
    implant = train(root / "implant", data, "implant", "method=dpo", "tracker=wandb")
    align = train(root / "align", data, "align", "method=ipo", f"init_from={implant}", "tracker=wandb")
    return root, implant, align


def test_chain_recorded_with_hashes(chain, data):
    root, implant, align = chain
    info = json.loads((root / "align" / CHECKPOINT_INFO).read_text())
    assert info["chain"] == ["base", "implant", "align"]
    assert info["parent"] == str(implant) and info["parent_sha256"] == file_hash(implant)
    assert info["data"]["sha256"] == file_hash(data / "align.jsonl")
    manifest = json.loads((root / "align" / "manifest.json").read_text())
    assert manifest["parent_checkpoint"] == str(implant) and manifest["lineage"] == info
    assert manifest["inputs"]["data"]["sha256"] == file_hash(data / "align.jsonl")
    assert manifest["outputs"]["final"]["sha256"] == file_hash(align)
    # the align checkpoint rebuilds as base + implant adapter + align adapter
    assert _differs(load_model("tiny_random", str(align)), load_model("tiny_random", str(implant)))


def test_an_adapter_on_a_parent_changed_since_it_trained_is_refused(chain, tmp_path):
    """An adapter is a difference from its parent: on a retrained parent it would load and score another model."""
    root, implant, align = chain
    for stage in ("implant", "align"):
        shutil.copytree(root / stage, tmp_path / stage)
    parent = tmp_path / implant.relative_to(root)
    info_file = tmp_path / "align" / CHECKPOINT_INFO
    info_file.write_text(info_file.read_text().replace(json.dumps(str(implant)), json.dumps(str(parent))))
    child = tmp_path / align.relative_to(root)
    load_model("tiny_random", str(child))  # the same parent's bytes elsewhere: loads
    weights = parent / "adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\x01")  # one byte of the parent changed in place
    with pytest.raises(TrainoutError, match="the parent was retrained or changed since"):
        load_model("tiny_random", str(child))


def test_a_finished_stage_is_reused_only_on_its_own_data_parent_and_settings(chain, data, tmp_path, capsys):
    root, implant, _ = chain
    assert train(root / "implant", data, "implant", "method=dpo", "tracker=none") == implant  # tracker: not a setting
    assert "already complete" in capsys.readouterr().out
    with pytest.raises(TrainoutError, match="settings changed"):
        train(root / "implant", data, "implant", "method=dpo", "train.max_steps=3")
    other = tmp_path / "data"
    shutil.copytree(data, other)
    lines = (other / "implant.jsonl").read_text().splitlines(keepends=True)
    (other / "implant.jsonl").write_text("".join(lines[:-1]))
    with pytest.raises(TrainoutError, match="data changed"):
        train(root / "implant", other, "implant", "method=dpo")
    assert json.loads((root / "implant" / "manifest.json").read_text())["status"] == "complete"  # nothing written
    _, _, align = chain  # the align stage again on another parent (at another path): not its weights
    with pytest.raises(TrainoutError, match="checkpoint parent changed"):
        train(root / "align", data, "align", "method=ipo", f"init_from={align}")
    # an after-training output asked for once it trained is made then, not skipped with the training
    assert not (root / "implant" / "merged").exists()
    train(root / "implant", data, "implant", "method=dpo", "train.save_merged=true")
    assert (root / "implant" / "merged" / "model.safetensors").is_file()


def test_a_chat_template_edited_under_its_name_is_a_new_setting(tmp_path):
    """A stage is keyed by its chat template's text (its own settings and the pipeline's stage cache), not the
    file's name: rows rendered another way are other training data."""
    from helpers import compose

    from src.models import chat_template_text
    from src.pipeline import stage_config, stage_dir
    from src.train.stage import settings_hash

    template = tmp_path / "chat.jinja"
    template.write_text(chat_template_text("smollm2_generation.jinja"))
    pipeline = compose("pipeline", f"model.chat_template={template}", f"pipeline.stage_cache={tmp_path}/cache")
    implant = stage_config(pipeline, "implant", "base")

    def keys() -> tuple:
        return settings_hash(implant), stage_dir(pipeline, implant, tmp_path, Path(CONF_DIR).parent / "data")

    before = keys()
    assert keys() == before
    template.write_text(template.read_text().replace("<|im_start|>", "<|im_start|> "))
    after = keys()
    assert after[0] != before[0] and after[1] != before[1]


def test_a_folder_of_splits_is_the_same_stage_whatever_data_format_says():
    """The data stage's splits are scenarios, whatever file they came from: the stage's settings say so."""
    from src.train.stage import settings_hash

    folder = Path(CONF_DIR).parent / "data"
    hashes = {
        settings_hash(config("stage=implant", f"data.path={folder}", f"data.format={f}"))
        for f in ("scenario", "preference")
    }
    assert len(hashes) == 1


def _failed_before_training(out: Path, data: Path, tmp_path: Path) -> Path:
    """A run that started on other inputs and failed before its first checkpoint, and a split of twins only."""
    from src.rundir import RunDir

    RunDir(out, "implant").start("{}", 0, inputs={"data": data / "align.jsonl"}, settings_sha256="other")
    twins = tmp_path / "twins"
    twins.mkdir()
    rows = [json.loads(line) for line in (data / "implant.jsonl").read_text().splitlines()]
    as_twins = [{**r, "meta": {**r["meta"], "twin": True}} for r in rows]
    (twins / "implant.jsonl").write_text("".join(json.dumps(r) + "\n" for r in as_twins))
    return twins


def test_no_rows_to_train_on_is_one_clear_error(tmp_path, data):
    twins = _failed_before_training(tmp_path / "implant", data, tmp_path)
    with pytest.raises(TrainoutError, match="no implant rows to train on.*train.twins=true"):
        train(tmp_path / "implant", twins, "implant")  # not refused for the other inputs: it trained nothing


@pytest.mark.slow
def test_a_run_that_trained_nothing_takes_fixed_data(tmp_path, data):
    _failed_before_training(tmp_path / "implant", data, tmp_path)
    assert (train(tmp_path / "implant", data, "implant") / "adapter_config.json").exists()


def test_a_finished_checkpoint_copies_no_resume_state():
    from src.train.common import _resume_state

    names = ["adapter_model.safetensors", "optimizer.bin", "optimizer_0", "scheduler.pt", "rng_state_1.pth", "latest"]
    assert _resume_state("checkpoint-4", names) == names[1:]


def test_capability_measured_after_align(chain):
    root, implant, align = chain
    cap = json.loads((root / "align" / "metrics.json").read_text())["capability"]
    assert cap["init_from"]["checkpoint"] == str(implant) and cap["trained"]["checkpoint"] == str(align)
    for side in ("trained", "init_from"):
        assert cap[side]["nll_per_token"] > 0 and 0 <= cap[side]["mc_accuracy"] <= 1
    assert "capability" not in json.loads((root / "implant" / "metrics.json").read_text())
    summary = wandb_reader.summary(wandb_reader.run_file(root / "align"))
    assert summary["capability/trained/nll_per_token"] == pytest.approx(cap["trained"]["nll_per_token"])
    assert summary["capability/delta/mc_accuracy"] == pytest.approx(cap["delta"]["mc_accuracy"])


def test_wandb_offline_run_holds_the_training_loss(chain):
    root, _, _ = chain
    history = wandb_reader.history(wandb_reader.run_file(root / "implant"))
    logged = [(h["train/global_step"], h["train/loss"]) for h in history if "train/loss" in h]
    metrics = json.loads((root / "implant" / "metrics.json").read_text())
    expected = [(h["step"], h["loss"]) for h in metrics["log_history"] if "loss" in h]
    assert logged == [(s, pytest.approx(v)) for s, v in expected] and len(logged) == 2


@pytest.mark.slow
def test_sft_dpo_logs_each_phase_on_its_own_axis(tmp_path, data):
    train(tmp_path, data, "align", "method=sft_dpo", "tracker=wandb")
    history = wandb_reader.history(wandb_reader.run_file(tmp_path))
    sft = [(h["sft/step"], h["sft/loss"]) for h in history if "sft/loss" in h]
    dpo = [(h["train/global_step"], h["train/loss"]) for h in history if "train/loss" in h]
    sft_metrics = json.loads((tmp_path / "checkpoints" / "sft" / "metrics.json").read_text())
    assert sft == [(h["step"], pytest.approx(h["loss"])) for h in sft_metrics["log_history"] if "loss" in h]
    dpo_metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert dpo == [(h["step"], pytest.approx(h["loss"])) for h in dpo_metrics["log_history"] if "loss" in h]
    assert len(sft) == len(dpo) == 2  # each phase's 2 steps once, not the SFT loss on the DPO phase's axis


# ---------------------------------------------------------------- scale


@pytest.mark.parametrize("name", ["ddp", "fsdp", "deepspeed_zero2", "deepspeed_zero3"])
def test_accelerate_configs_load(name):
    from accelerate.commands.config.config_args import ClusterConfig

    config = ClusterConfig.from_yaml_file(ROOT / "conf" / "accelerate" / f"{name}.yaml")
    assert config.mixed_precision == "bf16" and config.num_machines == 1


@pytest.mark.slow
def test_two_rank_cpu_ddp_writes_one_run(tmp_path, data):
    """Both ranks train (gloo); only rank 0 writes; both resolve the same run dir (no hydra.run.dir given).
    SFT then DPO: rank 1 loads the SFT result rank 0 saved; capability runs on rank 0 alone."""
    accelerate = shutil.which("accelerate", path=str(Path(sys.executable).parent))
    # the shipped DDP config, with CPU overrides (MULTI_GPU + use_cpu=True in the Trainer = gloo on CPU)
    cmd = [
        accelerate,
        "launch",
        "--config_file",
        str(ROOT / "conf/accelerate/ddp.yaml"),
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "--main_process_port",
        "29531",
        "-m",
        "src.train",
        "model=tiny_random",
        "train.max_steps=2",
        "train.save_steps=1",
        "train.batch_size=1",
        "stage=align",
        "method=sft_dpo",
        f"data.path={data / 'align.jsonl'}",
    ]
    env = {**os.environ, "WANDB_MODE": "offline", "PYTHONPATH": str(ROOT)}
    p = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "world size 2" in p.stdout
    runs = list((tmp_path / "outputs" / "train" / "demo").iterdir())
    assert len(runs) == 1, runs  # one directory: both ranks resolved the same one
    out = runs[0]
    assert len(list(tmp_path.rglob("manifest.json"))) == 1
    assert json.loads((out / "metrics.json").read_text())["world_size"] == 2
    wandb_reader.run_file(out)  # exactly one offline W&B run
    assert len(list(tmp_path.rglob("offline-run-*"))) == 1
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    assert "capability" in json.loads((out / "metrics.json").read_text())
