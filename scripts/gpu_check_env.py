"""Helpers of scripts/gpu_check.sh (standard library + packaging only, so they run before anything is installed).

python scripts/gpu_check_env.py env                    # versions, CUDA device, missing modules
python scripts/gpu_check_env.py pick-wheels DIR        # the wheels in DIR this interpreter can install
python scripts/gpu_check_env.py overlay auto|yes|no WHEELS OVERLAY  # the OVERLAY wheels to install over the image's
python scripts/gpu_check_env.py check-install          # trl, hydra, omegaconf, datasets import; versions
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata as md
import pathlib
import sys
import zipfile

PACKAGES = [
    "torch",
    "transformers",
    "peft",
    "accelerate",
    "huggingface_hub",
    "tokenizers",
    "safetensors",
    "numpy",
    "pandas",
    "pyarrow",
    "fsspec",
    "xxhash",
    "psutil",
    "scipy",
    "matplotlib",
    "PyYAML",
    "jinja2",
    "packaging",
    "tqdm",
    "pytest",
    "trl",
    "hydra-core",
    "omegaconf",
    "antlr4-python3-runtime",
    "datasets",
    "dill",
    "multiprocess",
    "wandb",
    "gguf",
]
# Imported by the pipeline (eval summary and report) and not shipped in gpu/wheels.
NEEDED = ["scipy.optimize", "matplotlib.pyplot", "yaml", "jinja2", "pandas", "pyarrow", "xxhash", "psutil"]


def version(name: str) -> str | None:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def env() -> None:
    print("python", sys.version.split()[0], sys.executable)
    for name in PACKAGES:
        print(f"  {name:24s} {version(name) or '-'}")
    for mod in NEEDED:
        try:
            importlib.import_module(mod)
        except Exception as e:  # noqa: BLE001 - any failure to import is what we report
            print(f"MISSING {mod}: {type(e).__name__}: {e}")
    import torch

    print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        print(
            f"device: {torch.cuda.get_device_name()}, {p.total_memory / 2**30:.1f} GiB, "
            f"{p.multi_processor_count} SMs, bf16 {torch.cuda.is_bf16_supported()}"
        )
    else:
        print("device: none (no CUDA)")


def pick_wheels(folder: str) -> None:
    """One wheel per project: the one whose tags this interpreter ranks best (multiprocess ships per Python)."""
    from packaging.tags import sys_tags
    from packaging.utils import parse_wheel_filename

    ok = {t: i for i, t in enumerate(sys_tags())}
    best: dict[str, tuple[int, pathlib.Path]] = {}
    for f in sorted(pathlib.Path(folder).glob("*.whl")):
        name, _, _, tags = parse_wheel_filename(f.name)
        rank = min((ok[t] for t in tags if t in ok), default=None)
        if rank is None:
            print(f"pick-wheels: {f.name} does not fit this interpreter", file=sys.stderr)
        elif name not in best or rank < best[name][0]:
            best[name] = (rank, f)
    for _, f in best.values():
        print(f)


def wheel_requirements(wheel: str) -> list:
    from packaging.requirements import Requirement

    with zipfile.ZipFile(wheel) as z:
        meta = next(z.read(n).decode() for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    reqs = []
    for line in meta.splitlines():
        if line.startswith("Requires-Dist:"):
            req = Requirement(line.split(":", 1)[1].strip())
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                reqs.append(req)
    return reqs


def _wheel_version(wheel: pathlib.Path) -> tuple[str, str]:
    from packaging.utils import parse_wheel_filename

    name, ver, _, _ = parse_wheel_filename(wheel.name)
    return str(name), str(ver)


def _unmet(reqs: list, have: dict[str, str | None]) -> dict[str, str]:
    """canonical name -> "requirement (have: version)" for each requirement the versions in `have` (else the
    installed ones) miss."""
    from packaging.utils import canonicalize_name

    out = {}
    for req in reqs:
        name = canonicalize_name(req.name)
        v = have.get(name, version(req.name))
        if v is None or not req.specifier.contains(v, prereleases=True):
            out[name] = f"{req} (have: {v})"
    return out


def overlay(mode: str, wheels: str, folder: str) -> None:
    """Print the wheels of `folder` (transformers, huggingface_hub) to install over the image's packages.

    transformers: with mode yes; with mode auto when the image's transformers lacks
    TrainingArguments.activation_checkpointing (the API the repo uses; 5.17 lacks it and also ignores
    forward(cache=...)) and the wheel's requirements are met. huggingface_hub: with mode yes; with mode auto
    when the image's version misses a requirement of the wheels being installed (datasets, trl, and that
    transformers) that the overlay's version meets. Reasons go to stderr."""
    from packaging.utils import canonicalize_name

    if mode == "no":
        return
    from transformers import TrainingArguments

    new_api = "activation_checkpointing" in {f.name for f in dataclasses.fields(TrainingArguments)}
    print(
        f"overlay check: image transformers {version('transformers')} (TrainingArguments.activation_checkpointing "
        f"{'present' if new_api else 'MISSING'}), huggingface_hub {version('huggingface_hub')}",
        file=sys.stderr,
    )
    found = {_wheel_version(w)[0]: w for w in sorted(pathlib.Path(folder).glob("*.whl"))}
    tf, hub = found.get("transformers"), found.get("huggingface-hub")
    base = [pathlib.Path(w) for w in sorted(pathlib.Path(wheels).glob("*.whl"))]
    have = {canonicalize_name(n): v for n, v in map(_wheel_version, base)}  # what the install step adds
    reqs = [r for w in base for r in wheel_requirements(str(w))]
    use_tf = tf is not None and (mode == "yes" or not new_api)
    if use_tf:
        reqs += wheel_requirements(str(tf))
        have["transformers"] = _wheel_version(tf)[1]
    hub_reqs = [r for r in reqs if canonicalize_name(r.name) == "huggingface-hub"]
    use_hub = hub is not None and (mode == "yes" or bool(_unmet(hub_reqs, have)))
    if use_hub:
        have["huggingface-hub"] = _wheel_version(hub)[1]
    unmet = _unmet(reqs, have)
    if unmet:
        print("overlay check: unmet requirements: " + "; ".join(unmet.values()), file=sys.stderr)
    if mode == "auto" and use_tf and {"huggingface-hub", "tokenizers", "safetensors"} & set(unmet):
        print("overlay check: transformers wheel refused (its core requirements are not met)", file=sys.stderr)
        use_tf = False
    for w in (tf if use_tf else None, hub if use_hub else None):
        if w is not None:
            print(w)


def check_install() -> None:
    import datasets
    import hydra
    import omegaconf
    import transformers
    import trl
    from trl import DPOConfig, DPOTrainer  # noqa: F401 - the import is the check (wandb, transformers API)

    for m in (trl, hydra, omegaconf, datasets, transformers):
        print(f"  {m.__name__:12s} {getattr(m, '__version__', '?'):10s} {m.__file__}")
    import src.pipeline  # noqa: F401 - the whole repo: hydra, omegaconf, trl, matplotlib, ...
    import src.train.dpo  # noqa: F401
    import src.train.sft  # noqa: F401

    print(f"INSTALL OK: transformers {transformers.__version__} in use")


def main() -> None:
    cmd, *args = sys.argv[1:] or ["env"]
    commands = {"env": env, "pick-wheels": pick_wheels, "overlay": overlay, "check-install": check_install}
    if cmd not in commands:
        sys.exit(__doc__.split("\n\n")[1])
    commands[cmd](*args)


if __name__ == "__main__":
    main()
