"""Hydra glue shared by the apps: typed config schemas, run-directory names, one-line errors."""

from __future__ import annotations

import errno
import functools
import gc
import hashlib
import logging
import os
import re
import signal
import sys
import threading
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import II, MISSING, DictConfig, OmegaConf

from src import TrainoutError
from src.models import ModelConfig

CONF_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "conf")


def run_slug(override_dirname: str) -> str:
    """A folder name for a run's overrides: readable, bounded, and distinct (hash) when truncated.

    Run directories are a function of the command, so rerunning the same command resumes it, and
    every rank of a distributed run resolves the same folder (no `${now:}` that differs per rank).
    """
    if not override_dirname:
        return "default"
    slug = re.sub(r"[^A-Za-z0-9_.,=+-]+", "_", override_dirname).strip("_")
    if len(slug) > 80 or slug != override_dirname:
        slug = slug[:60] + "-" + hashlib.sha1(override_dirname.encode()).hexdigest()[:8]
    return slug


if not OmegaConf.has_resolver("slug"):
    OmegaConf.register_new_resolver("slug", run_slug)


def to_yaml(cfg: DictConfig) -> str:
    return OmegaConf.to_yaml(cfg, resolve=True)


def to_dict(cfg: DictConfig) -> dict:
    return OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)  # type: ignore[return-value]


def run_dir() -> str:
    from hydra.core.hydra_config import HydraConfig

    return HydraConfig.get().runtime.output_dir


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


class JobFailed(Exception):
    """One job of a multirun stopped on bad input (its line is printed): an Exception, unlike SystemExit, so
    Hydra's launcher records the job as failed and goes on to the next."""


def _in_multirun() -> bool:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def one_line_errors(fn: Callable[[DictConfig], Any]) -> Callable[[DictConfig], Any]:
    """A TrainoutError (bad input the user can fix) prints as one line, no traceback; HYDRA_FULL_ERROR=1 shows it."""

    @functools.wraps(fn)
    def wrapper(cfg: DictConfig) -> Any:
        # SIGTERM (kill, timeout, a scheduler's preemption) as an exit, so `finally` blocks run: the manifest
        # says "interrupted" and the W&B run is finished, where Python's default would stop without either.
        # Only over that default (submitit, the SLURM launcher, handles SIGTERM for its requeue), only in the
        # main thread (a launcher may run jobs in threads, where none can be set), and put back after.
        ours = (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        )
        if ours:
            signal.signal(signal.SIGTERM, _exit_on_signal)
        # What is alive when the job starts (the imports) outlives it: keep it out of the full garbage collections
        # that accelerate and the stages ask for after each model (0.4-0.6 s each over torch's and transformers'
        # objects). Collected first, so a sweep's earlier job in this process leaves nothing frozen; unfrozen after.
        gc.collect()
        gc.freeze()
        try:
            return fn(cfg)
        except (TrainoutError, OSError) as e:
            if os.environ.get("HYDRA_FULL_ERROR") == "1" or (isinstance(e, OSError) and e.errno != errno.ENOSPC):
                raise
            msg = (
                str(e)
                if isinstance(e, TrainoutError)
                else f"disk full while writing {e.filename or 'a file'}; "
                "free space and rerun the same command to resume"
            )
            logging.getLogger("trainout").debug("error", exc_info=True)
            print(f"error: {msg}", file=sys.stderr)
            if _in_multirun():  # a sweep's other jobs still run; Hydra marks this one failed and says so at the end
                raise JobFailed(msg) from None
            sys.exit(1)
        finally:
            gc.unfreeze()
            if ours:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)

    return wrapper


# ---------------------------------------------------------------- typed config schemas
# The YAML files under conf/ keep the values; these dataclasses give them types. Each app's primary
# config names its schema first in its defaults list, and each option of the method, peft and attack
# groups names its own, so a mistyped key or value (`attack.strengths=[0,x]`, `trian.max_steps=3`)
# fails when Hydra composes the config, with Hydra's message, before any work starts.


class Choice(str, Enum):
    """A fixed set of string values: Hydra checks them at compose time; str() and paths see the plain value."""

    def __str__(self) -> str:
        return self.value


class DataFormat(Choice):
    scenario = "scenario"
    preference = "preference"
    mwe = "mwe"


class ScoringBackend(Choice):
    hf = "hf"  # src.lm.scoring: transformers, the packed prefix tree (CPU and GPU)
    vllm = "vllm"  # src.lm.vllm_scoring: vLLM prompt log-probs in large batches (CUDA, optional dependency)


class ManyShotLayout(Choice):
    turns = "turns"  # each demonstration as real chat turns
    faux = "faux"  # all demonstrations in one user turn as "User:/Assistant:" text (Anil et al. 2024)


class TrackerMode(Choice):
    auto = "auto"  # online when logged in (WANDB_API_KEY or `wandb login`), else offline
    online = "online"
    offline = "offline"
    disabled = "disabled"


class Stage(Choice):
    implant = "implant"  # train the behavior in: the deceptive reply is preferred
    align = "align"  # train it out: the honest reply is preferred


@dataclass
class DataConfig:
    path: Optional[str] = None
    format: DataFormat = DataFormat.scenario
    seed: int = II("seed")
    behaviors: Optional[List[str]] = None
    heldout_behaviors: List[str] = field(default_factory=list)
    scenarios_per_template: int = 2
    per_split: Dict[str, int] = field(default_factory=dict)
    split_situations: Dict[str, int] = field(default_factory=dict)
    probe: bool = True  # score the eval split with the run's model at strength 0 for the card


@dataclass
class TrainConfig:
    split: Optional[str] = None
    max_steps: int = 40
    batch_size: int = 4
    grad_accum: int = 1
    gpu_batch_size: Optional[int] = 8
    learning_rate: float = 1e-4
    lr_scheduler: str = "linear"
    warmup_steps: int = 0
    max_length: int = 512
    activation_checkpointing: bool = False
    save_steps: int = 10
    save_merged: bool = False
    capability: bool = True
    twins: bool = False


@dataclass
class SFTMethod:
    name: str = "sft"


@dataclass
class DPOMethod:
    name: str = "dpo"
    loss_type: str = "sigmoid"
    beta: float = 0.1


@dataclass
class SFTDPOMethod(DPOMethod):
    name: str = "sft_dpo"
    sft_steps: Optional[int] = None


@dataclass
class LoraConfig:
    name: str = "lora"
    r: int = 16
    alpha: int = 32
    dropout: float = 0.0
    target_modules: Any = "all-linear"  # "all-linear" or a list of module names


@dataclass
class FullFinetune:
    name: str = "none"


@dataclass
class AttackConfig:
    name: str = MISSING
    strengths: List[int] = field(default_factory=lambda: [0])
    seeds: int = 1  # draws per strength > 0
    control: bool = True
    neutral: bool = False  # also score the neutral arm (same length and setting, no honesty content): many_shot
    shots_path: Optional[str] = None
    shots_format: Optional[DataFormat] = None  # the format of shots_path; None = data.format
    subset: Optional[int] = None  # eval scenarios scored at strengths > 0 (spread over behaviors); None = all


@dataclass
class ManyShotConfig(AttackConfig):
    cross_behavior: bool = False  # demonstrations only from behaviors other than the target's
    layout: ManyShotLayout = ManyShotLayout.turns


@dataclass
class FinetuneConfig(AttackConfig):
    cross_behavior: bool = True  # cross-fold: examples of the other folds' behaviors; False = in-fold (its own)
    folds: int = 2  # groups of evaluated behaviors, each scored after its own fine-tune
    steps: int = 16
    learning_rate: float = 2e-4
    batch_size: int = 4
    lora_r: int = 8
    # The training stage's public fine-tuning function, named here so that src.eval never imports src.train.
    fine_tune: str = "src.train.stage.fine_tune"


@dataclass
class TrackerConfig:
    name: str = "wandb"  # wandb | none
    mode: TrackerMode = TrackerMode.auto  # auto = online when logged in, else offline; WANDB_MODE overrides
    project: str = "trainout"
    entity: Optional[str] = None


@dataclass
class ScoringConfig:
    backend: ScoringBackend = ScoringBackend.hf
    prefix_cache: bool = True
    max_batch_tokens: Optional[int] = None
    max_batch_rows: int = 16


@dataclass
class VerdictConfig:
    at: Optional[int] = None  # k*: the one attack strength a verdict reads, fixed before the run; None = the largest
    recovery: float = 0.5  # not re-elicited up to k*: the CI of R(k*) lies below this share of the implant's lift


@dataclass
class PipelineSection:
    stages: List[Stage] = field(default_factory=lambda: [Stage.implant, Stage.align])
    implant: Dict[str, Any] = field(default_factory=dict)
    align: Dict[str, Any] = field(default_factory=dict)
    stage_cache: Optional[str] = None
    trajectory: bool = False
    evaluate: List[str] = field(default_factory=lambda: ["base", "implant", "align"])
    capability_penalty: float = 1.0
    tuning_split: str = "val"  # what sweep objectives read; eval is never allowed (src/eval/compare.py)


@dataclass
class DataApp:
    name: str = "demo"
    seed: int = 0
    tags: List[str] = field(default_factory=list)
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    tracker: TrackerConfig = field(default_factory=TrackerConfig)


@dataclass
class TrainApp(DataApp):
    stage: Stage = Stage.align
    init_from: str = "base"
    method: Any = MISSING
    peft: Any = MISSING
    train: TrainConfig = field(default_factory=TrainConfig)


@dataclass
class JudgeConfig:
    """Sampled replies, judged, as a cross-check of p (src/eval/judge.py; conf/judge.yaml)."""

    enabled: bool = True
    n: int = 24  # scenarios, non-twin, spread over behaviors and templates
    samples: int = 8  # replies per scenario and checkpoint
    temperature: float = 1.0  # from the full distribution (no top-k/top-p); 0 = greedy
    max_new_tokens: int = 48
    model: Optional[str] = None  # an LLM judge besides the rule judge: a conf/model name or a local HF folder
    seed: int = II("seed")


@dataclass
class EvalApp(DataApp):
    checkpoints: List[str] = field(default_factory=lambda: ["base"])
    attack: Any = MISSING
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    verdict: VerdictConfig = field(default_factory=VerdictConfig)
    judge: JudgeConfig = field(default_factory=JudgeConfig)
    attacked: Optional[List[str]] = None  # checkpoint labels (align: and its align@N) scored at strengths > 0
    bootstrap: int = 1000


@dataclass
class PipelineApp(TrainApp, EvalApp):
    pipeline: PipelineSection = field(default_factory=PipelineSection)


@dataclass
class CompareApp:
    name: str = "compare"
    seed: int = 0
    tags: List[str] = field(default_factory=list)
    runs: List[str] = MISSING
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    verdict: VerdictConfig = field(default_factory=VerdictConfig)
    bootstrap: int = 1000


GROUP_SCHEMAS: dict[str, dict[str, type]] = {
    "method": {"sft": SFTMethod, "dpo": DPOMethod, "ipo": DPOMethod, "sft_dpo": SFTDPOMethod},
    "peft": {"lora": LoraConfig, "none": FullFinetune},
    "attack": {
        "many_shot": ManyShotConfig,
        "finetune": FinetuneConfig,
        "persona": AttackConfig,
        "pressure": AttackConfig,
        "prefill": AttackConfig,
        "none": AttackConfig,
    },
}


def _register() -> None:
    cs = ConfigStore.instance()
    for name, node in (
        ("data", DataApp),
        ("train", TrainApp),
        ("eval", EvalApp),
        ("pipeline", PipelineApp),
        ("compare", CompareApp),
    ):
        cs.store(name=f"schema_{name}", node=node)
    for group, options in GROUP_SCHEMAS.items():
        for option, node in options.items():
            cs.store(group=group, name=f"schema_{option}", node=node)


_register()


def group_option(group: str, name: str) -> DictConfig:
    """A config group option (conf/<group>/<name>.yaml) as a typed node, as choosing it on the command line gives."""
    path = Path(CONF_DIR, group, f"{name}.yaml")
    if not path.exists() or name not in GROUP_SCHEMAS[group]:
        raise TrainoutError(f"{group}.name={name}: no such option in conf/{group}/")
    values = OmegaConf.load(path)
    values.pop("defaults", None)
    return OmegaConf.merge(OmegaConf.structured(GROUP_SCHEMAS[group][name]), values)
