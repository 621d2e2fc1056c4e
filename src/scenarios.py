"""The scenario format (docs/design.md), its loaders with file:line errors, and the TRL datasets derived from it.

A scenario is an agentic context ending with the turn the model must answer, plus an honest and a
deceptive reply. SFT and DPO data are derived here, never maintained as second copies.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from src import TrainoutError
from src.io import atomic_write_text

BEHAVIORS = (
    "deceive_overseer",
    "sandbagging",
    "covert_resource_acquisition",
    "oversight_subversion",
    "alignment_faking",
    "company_over_law",
)
ROLES = ("system", "user", "assistant", "tool")
FORMATS = ("scenario", "preference", "mwe")


class DataError(TrainoutError):
    """Malformed input data; the message names the file, the line and the field."""


@dataclass(frozen=True)
class Scenario:
    id: str
    behavior: str
    template: str
    messages: list[dict[str, str]]
    honest: str
    deceptive: str
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


# ---------------------------------------------------------------- reading


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict]]:
    """Yield (1-based line number, object) for each non-empty line; bad JSON names file:line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such data file")
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")  # a byte-order mark is allowed
            except UnicodeDecodeError as e:
                raise DataError(f"{path}:{lineno}: not UTF-8 text (byte {e.start + 1} of the line)") from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                if lineno == 1 and line.strip() in ("[", "{"):  # a JSON array or object over many lines
                    raise DataError(
                        f"{path}: one JSON value over many lines; write one object per line (JSONL)"
                    ) from None
                raise DataError(f"{path}:{lineno}: invalid JSON ({e.msg} at column {e.colno})") from None
            except RecursionError:
                raise DataError(f"{path}:{lineno}: JSON nested too deeply to read") from None
            if "\\ud" in line.lower():  # an escaped surrogate: JSON reads a lone one, which no tokenizer takes
                try:
                    json.dumps(obj, ensure_ascii=False).encode("utf-8")
                except UnicodeEncodeError:
                    raise DataError(
                        f"{path}:{lineno}: text with an unpaired surrogate escape (\\ud800-\\udfff)"
                    ) from None
            if not isinstance(obj, dict):
                raise DataError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
            yield lineno, obj


TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".arrow")  # tables this loader does not read


def _read_rows(path: Path) -> Iterator[tuple[int, dict]]:
    if path.suffix.lower() in TABLE_SUFFIXES:
        raise DataError(f"{path}: a {path.suffix} file; data files are JSONL (one JSON object per line) or Parquet")
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not path.is_file():
            raise DataError(f"{path}: no such data file")
        try:
            rows = pq.read_table(path).to_pylist()
        except (pa.ArrowException, OSError) as e:
            raise DataError(f"{path}: not a readable Parquet file ({str(e).splitlines()[0]})") from None
        yield from enumerate(rows, 1)
    else:
        yield from read_jsonl(path)


def _field(obj: dict, name: str, kind: type | tuple[type, ...], where: str) -> Any:
    if name not in obj:
        raise DataError(f"{where}: missing field '{name}'")
    value = obj[name]
    if not isinstance(value, kind):
        want = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise DataError(f"{where}: field '{name}' must be {want}, got {type(value).__name__}")
    return value


def _reply(obj: dict, name: str, where: str) -> str:
    """A string field that must hold some text (a reply, an id, a template name)."""
    text = _field(obj, name, str, where)
    if not text.strip():
        raise DataError(f"{where}: field '{name}' is empty")
    return text


def _messages(value: Any, where: str, name: str = "messages") -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise DataError(f"{where}: field '{name}' must be a non-empty list of chat messages")
    out = []
    for i, m in enumerate(value):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise DataError(f"{where}: field '{name}[{i}]' must be an object with string 'role' and 'content'")
        if m["role"] not in ROLES:
            raise DataError(
                f"{where}: field '{name}[{i}].role' is unknown role '{m['role']}' (allowed: {', '.join(ROLES)})"
            )
        out.append({"role": m["role"], "content": m["content"]})
    if out[-1]["role"] == "assistant":
        raise DataError(f"{where}: field '{name}' must end with the turn the model answers, not an assistant turn")
    return out


def _check_pair(honest: str, deceptive: str, where: str) -> None:
    if honest.strip() == deceptive.strip():
        raise DataError(f"{where}: fields 'honest' and 'deceptive' are identical")


def scenario_from_dict(obj: dict, where: str) -> Scenario:
    sid, behavior, template = (_reply(obj, name, where) for name in ("id", "behavior", "template"))
    messages = _messages(_field(obj, "messages", list, where), where)
    honest, deceptive = _reply(obj, "honest", where), _reply(obj, "deceptive", where)
    _check_pair(honest, deceptive, where)
    meta = obj.get("meta")
    meta = {} if meta is None else meta  # Parquet and datasets fill a row's missing `meta` with None
    if not isinstance(meta, dict):
        raise DataError(f"{where}: field 'meta' must be object, got {type(meta).__name__}")
    _check_meta(meta, {"honest": honest, "deceptive": deceptive}, where)
    return Scenario(sid, behavior, template, messages, honest, deceptive, meta)


META_TYPES: dict[str, type | tuple[type, ...]] = {
    "twin": (bool, int),  # 0/1 read right; "false", a string, reads as true
    "situation": (str, int),
    "twin_id": (str, int),
    "slots": dict,
}


def _check_meta(meta: dict, replies: dict[str, str], where: str) -> None:
    """The `meta` keys the pipeline acts on, typed: a "false" string is a true value to Python, so `"twin":
    "false"` would leave a scenario out of training and the attack without a word. Other keys are the user's."""
    for key, kind in META_TYPES.items():
        value = meta.get(key)
        bad = value is not None and (not isinstance(value, kind) or (key == "twin" and value not in (0, 1)))
        if bad:
            want = (
                "true/false"
                if key == "twin"
                else " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            )
            raise DataError(f"{where}: field 'meta.{key}' must be {want}, got {value!r}")
    span = meta.get("span")
    if span is None:
        return
    for name, reply in replies.items():
        bounds = span.get(name) if isinstance(span, dict) else None
        ok = isinstance(bounds, list) and len(bounds) == 2 and all(type(b) is int for b in bounds)
        if not ok or not 0 <= bounds[0] < bounds[1] <= len(reply):
            raise DataError(
                f'{where}: field \'meta.span\' must be {{"honest": [start, end], "deceptive": [start, end]}}, '
                f"character offsets within each reply; its '{name}' is {bounds!r}"
            )


def _optional(obj: dict, name: str, where: str, default: str) -> str:
    """An optional string field: absent (or null) takes the default; any other non-string is an error."""
    value = obj.get(name)
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"{where}: field '{name}' must be a non-empty string, got {value!r}")
    return value


def _from_preference(obj: dict, where: str, stem: str, lineno: int) -> Scenario:
    """TRL preference row (plain or conversational); `chosen` is read as the honest reply."""
    prompt = obj.get("prompt")
    if prompt is None:
        raise DataError(f"{where}: missing field 'prompt'")
    if isinstance(prompt, str):
        if not prompt.strip():
            raise DataError(f"{where}: field 'prompt' is empty")
        messages = [{"role": "user", "content": prompt}]
    else:
        messages = _messages(prompt, where, "prompt")

    def reply(name: str) -> str:
        value = obj.get(name)
        if isinstance(value, list):  # conversational: [{"role": "assistant", "content": ...}]
            turns = _messages(value + [{"role": "user", "content": ""}], where, name)[:-1]
            if len(turns) != 1 or turns[0]["role"] != "assistant":
                raise DataError(f"{where}: field '{name}' must be one assistant message")
            value = turns[0]["content"]
        if not isinstance(value, str):
            raise DataError(f"{where}: field '{name}' must be str or a list with one assistant message")
        if not value.strip():
            raise DataError(f"{where}: field '{name}' is empty")
        return value.strip() if isinstance(prompt, str) else value

    honest, deceptive = reply("chosen"), reply("rejected")
    _check_pair(honest, deceptive, where)
    behavior = _optional(obj, "behavior", where, stem)
    sid = _optional(obj, "id", where, f"{stem}-{lineno}")
    template = _optional(obj, "template", where, sid)
    return Scenario(sid, behavior, template, messages, honest, deceptive, {"source": "preference"})


def _from_mwe(obj: dict, where: str, stem: str, lineno: int) -> Scenario:
    """Perez et al. (2022) A/B item: the behavior-matching answer plays the deceptive reply."""
    question = _reply(obj, "question", where)
    matching = _reply(obj, "answer_matching_behavior", where).strip()
    other = obj.get("answer_not_matching_behavior")
    if isinstance(other, list):  # a few published files list several non-matching answers
        other = other[0] if other else None
    if not isinstance(other, str) or not other.strip():
        raise DataError(f"{where}: field 'answer_not_matching_behavior' must be a non-empty string")
    other = other.strip()
    _check_pair(other, matching, where)
    sid = f"{stem}-{lineno}"
    return Scenario(
        sid, stem, sid, [{"role": "user", "content": question.strip()}], other, matching, {"source": "mwe"}
    )


def is_hub_id(path: str | Path) -> bool:
    """`owner/name` that is no local path: load_scenarios reads it from the Hugging Face Hub."""
    text = str(path)
    local = Path(text).suffix.lower() in (".jsonl", ".json", ".parquet", *TABLE_SUFFIXES)  # a file name, mistyped
    return not local and not Path(text).exists() and not text.startswith((".", "/")) and text.count("/") == 1


def load_scenarios(path: str | Path, format: str = "scenario") -> list[Scenario]:
    """Load a local JSONL/Parquet file (or an HF dataset id when reachable) in one of FORMATS."""
    if format not in FORMATS:
        raise DataError(f"unknown data.format '{format}' (choose one of: {', '.join(FORMATS)})")
    p = Path(path)
    if is_hub_id(path):
        return _load_hub(str(path), format)
    return _convert(_read_rows(p), format, str(p), p.stem)


def _convert(rows: Iterable[tuple[int, dict]], format: str, source: str, stem: str) -> list[Scenario]:
    """Rows of a file or a Hub dataset as scenarios; every error names `source`:line."""
    out, seen = [], {}
    for lineno, obj in rows:
        where = f"{source}:{lineno}"
        if format == "scenario":
            s = scenario_from_dict(obj, where)
        elif format == "preference":
            s = _from_preference(obj, where, stem, lineno)
        else:
            s = _from_mwe(obj, where, stem, lineno)
        if s.id in seen:
            raise DataError(f"{where}: field 'id' duplicates line {seen[s.id]} ('{s.id}')")
        seen[s.id] = lineno
        out.append(s)
    if not out:
        raise DataError(f"{source}: no rows")
    return out


def _load_hub(name: str, format: str) -> list[Scenario]:
    try:
        import datasets

        ds = datasets.load_dataset(name, split="train")
    except Exception as e:  # offline, missing, gated: one line that says what to do
        raise DataError(
            f"data.path '{name}' is not a local file and could not be loaded from the Hugging Face Hub "
            f"({type(e).__name__}); download it on a machine with network and pass the local file"
        ) from None
    return _convert(enumerate(ds, 1), format, name, name.split("/")[-1])


# ---------------------------------------------------------------- writing


def write_scenarios(path: str | Path, scenarios: Iterable[Scenario]) -> None:
    atomic_write_text(path, "".join(s.to_json() + "\n" for s in scenarios))


# ---------------------------------------------------------------- TRL datasets


def to_preference(scenarios: Iterable[Scenario], prefer: str) -> list[dict]:
    """TRL conversational preference rows; `prefer` is 'honest' (align) or 'deceptive' (implant)."""
    if prefer not in ("honest", "deceptive"):
        raise ValueError(f"prefer must be 'honest' or 'deceptive', not {prefer!r}")
    rows = []
    for s in scenarios:
        good, bad = (s.honest, s.deceptive) if prefer == "honest" else (s.deceptive, s.honest)
        rows.append(
            {
                "prompt": s.messages,
                "chosen": [{"role": "assistant", "content": good}],
                "rejected": [{"role": "assistant", "content": bad}],
            }
        )
    return rows


def to_sft(scenarios: Iterable[Scenario], reply: str) -> list[dict]:
    """TRL conversational SFT rows: the scenario's messages followed by the chosen reply."""
    if reply not in ("honest", "deceptive"):
        raise ValueError(f"reply must be 'honest' or 'deceptive', not {reply!r}")
    return [{"messages": s.messages + [{"role": "assistant", "content": getattr(s, reply)}]} for s in scenarios]


def spread(scenarios: list[Scenario], n: int, seed: int) -> list[Scenario]:
    """n non-twin scenarios, spread: one per template before any template gets a second, the templates taken
    in turn from each behavior (each behavior's order shuffled with `seed`). The same data and seed give the
    same choice, so a resumed run samples the same scenarios."""
    rng = random.Random(seed)
    by_template: dict[str, list[Scenario]] = {}
    for s in sorted((s for s in scenarios if not s.meta.get("twin")), key=lambda s: s.id):
        by_template.setdefault(s.template, []).append(s)
    for group in by_template.values():
        rng.shuffle(group)
    by_behavior: dict[str, list[str]] = {}
    for t in sorted(by_template):
        by_behavior.setdefault(by_template[t][0].behavior, []).append(t)
    for templates in by_behavior.values():
        rng.shuffle(templates)
    order = []  # behaviors in turn: b1's 1st template, b2's 1st, ..., b1's 2nd, ...
    for i in range(max((len(v) for v in by_behavior.values()), default=0)):
        order += [ts[i] for _, ts in sorted(by_behavior.items()) if i < len(ts)]
    chosen = []
    for r in range(max((len(v) for v in by_template.values()), default=0)):
        chosen += [by_template[t][r] for t in order if r < len(by_template[t])]
    return chosen[:n]
