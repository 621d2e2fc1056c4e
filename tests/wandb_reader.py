"""Read an offline W&B run (`<dir>/wandb/offline-run-*/run-*.wandb`) back: wandb 0.31 has no reader API.

The file is a LevelDB-style log: 32 KiB blocks; each record chunk has a 7-byte header `<IHB` (CRC32,
length, type: 1 full, 2 first, 3 middle, 4 last) and a block's last < 7 bytes are padding. The file
starts with a 7-byte W&B header (`:W&B` magic, version). Each reassembled record is a
`wandb.proto.wandb_internal_pb2.Record`. Read it after `wandb.finish()`: before, history may be unflushed.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any, Iterator

BLOCK = 32 * 1024
HEADER = struct.Struct("<IHB")
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def records(path: str | Path) -> Iterator[Any]:
    """Every Record in a .wandb file, in order."""
    from wandb.proto import wandb_internal_pb2 as pb

    data = Path(path).read_bytes()
    pos = 7 if data[:4] == b":W&B" else 0
    parts: list[bytes] = []
    while pos + HEADER.size <= len(data):
        left = BLOCK - pos % BLOCK
        if left < HEADER.size:  # block trailer padding
            pos += left
            continue
        _, length, kind = HEADER.unpack_from(data, pos)
        if kind == 0 and length == 0:  # zero padding
            pos += left
            continue
        chunk = data[pos + HEADER.size : pos + HEADER.size + length]
        pos += HEADER.size + length
        if kind == FULL:
            parts = [chunk]
        elif kind == FIRST:
            parts = [chunk]
            continue
        elif kind == MIDDLE:
            parts.append(chunk)
            continue
        elif kind == LAST:
            parts.append(chunk)
        else:
            raise ValueError(f"{path}: bad record type {kind} at byte {pos}")
        record = pb.Record()
        record.ParseFromString(b"".join(parts))
        parts = []
        yield record


def _key(item) -> str:
    return "/".join(item.nested_key) if item.nested_key else item.key


def history(path: str | Path) -> list[dict]:
    """The logged history rows: {key: value} per `wandb.log` call."""
    return [
        {_key(i): json.loads(i.value_json) for i in r.history.item}
        for r in records(path)
        if r.WhichOneof("record_type") == "history"
    ]


def summary(path: str | Path) -> dict:
    """The run summary as it stands at the end of the file (updates applied in order)."""
    out: dict = {}
    for r in records(path):
        if r.WhichOneof("record_type") == "summary":
            for i in r.summary.update:
                out[_key(i)] = json.loads(i.value_json)
            for i in r.summary.remove:
                out.pop(_key(i), None)
    return out


def run_file(run_dir: str | Path) -> Path:
    """The single offline run file under a run directory (fails when there are none or several)."""
    files = sorted(Path(run_dir).glob("wandb/offline-run-*/run-*.wandb"))
    if len(files) != 1:
        raise AssertionError(f"expected one offline W&B run under {run_dir}, found {len(files)}: {files}")
    return files[0]
