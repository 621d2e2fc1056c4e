"""Files that survive a kill: atomic replaces, append-only keyed rows, and content hashes for manifests."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
from pathlib import Path
from typing import Iterable, Iterator

from src import TrainoutError


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temp file beside `path` to write, renamed onto `path` when the block ends: a reader never sees half
    a file, and a kill leaves the old one or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write to a temp file in the same folder, fsync, rename."""
    with _replacing(Path(path)) as tmp, tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def atomic_save_figure(fig, path: str | Path, dpi: int = 110) -> None:
    """A matplotlib figure saved the way `atomic_write_text` writes text."""
    path = Path(path)
    with _replacing(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".") or "png")


def json_sha256(obj) -> str:
    """sha256 of a JSON-able value, keys sorted: the hash of a set of settings."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def read_json(path: str | Path):
    """A JSON file's value; one line naming the file when it is not JSON."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise TrainoutError(f"{path}: not a JSON file ({e}); fix or remove it") from None


def read_rows(path: str | Path, repair: bool = False, required: tuple[str, ...] = ()) -> list[dict]:
    """Rows of a JSONL results file. A torn last line (a kill mid-write) is left out; the file's writer passes
    `repair` to cut it off before appending. Readers never touch the file: its writer may still be running.
    A row that is not an object with the `required` keys stops the read, naming the file and line."""
    path = Path(path)
    if not path.exists():
        return []
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        if repair:
            with path.open("r+b") as f:
                f.truncate(cut)
        data = data[:cut]
    rows = []
    for lineno, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise TrainoutError(f"{path}:{lineno}: not a JSON row ({e.msg}); fix or remove that line") from None
        missing = [k for k in required if k not in row] if isinstance(row, dict) else ["an object"]
        if missing:
            raise TrainoutError(f"{path}:{lineno}: the row lacks {', '.join(missing)}; fix or remove that line")
        rows.append(row)
    return rows


def append_rows(path: str | Path, rows: Iterable[dict]) -> None:
    """Append rows and fsync: once this returns, they survive a kill."""
    text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows)
    if not text:
        return
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def flock(f, operation: int) -> None:
    """fcntl.flock, with one line where the filesystem has no locks (Lustre mounted `noflock`): the run folder's
    and the stage cache's locks are what keep two jobs from writing one folder."""
    try:
        fcntl.flock(f, operation)
    except OSError as e:
        if e.errno not in (errno.ENOSYS, errno.ENOLCK, errno.EOPNOTSUPP):
            raise
        raise TrainoutError(
            f"{f.name}: this filesystem does not support file locks ({os.strerror(e.errno)}), which keep two jobs "
            "from writing one run folder or cached stage; put the run folders and pipeline.stage_cache on one that "
            "does (NFS with locking, Lustre mounted -o flock)"
        ) from None


# What a Trainer checkpoint holds besides the model: the state to resume training (optimizer moments, scheduler,
# RNG, DeepSpeed's global_step*/ and FSDP's optimizer_*/ shards). It does not change what the folder loads as,
# and for a full fine-tune it is several times the weights' size, so a checkpoint's hash leaves it out.
RESUME_STATE = (
    "optimizer",
    "scheduler",
    "scaler.pt",
    "rng_state",
    "global_step",
    "trainer_state.json",
    "training_args.bin",
    "pytorch_model_fsdp",  # FSDP's full (or sharded) weights beside the optimizer state: save_model wrote the model
)

_hashes: dict[tuple, str] = {}


def file_hash(path: str | Path) -> str:
    """sha256 of a file, or of a folder's files (names and contents, sorted) without a Trainer's resume state.

    Remembered for the process by each file's inode, size and mtime: one pipeline names a parent's weights in the
    stage key, the child's lineage and each manifest, and an 8B checkpoint takes tens of seconds to read.
    """
    path = Path(path).resolve()
    if not path.exists():  # the hash of nothing would stand for every missing checkpoint alike
        raise TrainoutError(f"{path}: no such file or folder to hash")
    if path.is_file():
        files = [path]
    else:
        top = [p for p in path.iterdir() if not p.name.startswith(RESUME_STATE)] if path.is_dir() else []
        files = sorted(f for p in top for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file())
    stats = tuple((str(p), s.st_ino, s.st_size, s.st_mtime_ns) for p in files for s in [p.stat()])
    if (path, stats) not in _hashes:
        h = hashlib.sha256()
        for p in files:
            if path.is_dir():
                h.update(str(p.relative_to(path)).encode())
            with p.open("rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        _hashes[(path, stats)] = h.hexdigest()
    return _hashes[(path, stats)]
