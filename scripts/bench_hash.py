"""Checkpoint hashing as a pipeline does it: one parent named `--calls` times (the stage key, the child's
lineage, its manifest, the eval manifest), against the earlier hash of every file in the folder on every
call, in the same process.

    python scripts/bench_hash.py [--weights-gb 1] [--optimizer-gb 2] [--calls 4] [--folder /tmp/bench_hash]

The folder is a Trainer checkpoint of random bytes: model weights plus the optimizer state a full fine-tune
saves beside them (Adam keeps two fp32 moments per parameter, several times bf16 weights). The project's
`file_hash` leaves the resume state out and reads each file once per process.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from src.io import file_hash  # noqa: E402


def every_file_hash(path: Path) -> str:
    """The baseline: sha256 over every file of the folder, names and contents, read on every call."""
    h = hashlib.sha256()
    for p in sorted(q for q in path.rglob("*") if q.is_file()):
        h.update(str(p.relative_to(path)).encode())
        with p.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def write_random(path: Path, gigabytes: float) -> None:
    with path.open("wb") as f:
        for _ in range(int(gigabytes * 1024)):
            f.write(os.urandom(1 << 20))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights-gb", type=float, default=1.0)
    ap.add_argument("--optimizer-gb", type=float, default=2.0)
    ap.add_argument("--calls", type=int, default=4)
    ap.add_argument(
        "--folder", type=Path, default=Path("/tmp"), help="where to write (and then remove) a scratch folder"
    )
    args = ap.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench_hash-", dir=args.folder))  # only this is removed afterwards
    ckpt = scratch / "checkpoint-10"
    ckpt.mkdir()
    try:
        write_random(ckpt / "model.safetensors", args.weights_gb)
        write_random(ckpt / "optimizer.pt", args.optimizer_gb)
        (ckpt / "trainer_state.json").write_text("{}")
        timings = {}
        for name, fn in (("every file, every call", every_file_hash), ("file_hash", file_hash)):
            start = time.perf_counter()
            for _ in range(args.calls):
                fn(ckpt)
            timings[name] = time.perf_counter() - start
        base, ours = timings["every file, every call"], timings["file_hash"]
        print(
            f"{args.calls} hashes of {args.weights_gb:g} GB weights + {args.optimizer_gb:g} GB optimizer state: "
            f"every file, every call {base:.1f} s; file_hash {ours:.1f} s; ratio {base / ours:.1f}x"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
