"""Every command the docs show composes: its app exists and each override names a real key and value.

Users copy these lines; a renamed key would otherwise surface only when someone runs the line (the SLURM
example once passed a key no schema had). Composing checks the typed schemas in process, without running.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from helpers import compose

ROOT = Path(__file__).resolve().parent.parent
APPS = {"src.pipeline": "pipeline", "src.data": "data", "src.train": "train", "src.eval": "eval"}
APPS["src.eval.compare"] = "compare"
COMMAND = re.compile(r"python -m (src(?:\.\w+)+)(.*)")


def _fenced_lines(text: str) -> list[str]:
    """Lines of the ```bash blocks, continuation lines joined."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = not inside and line.strip() in ("```bash", "```sh")
            continue
        if inside:
            if lines and lines[-1].endswith("\\"):
                lines[-1] = lines[-1][:-1] + " " + line.strip()
            else:
                lines.append(line)
    return lines


def _shell_lines(path: Path) -> list[str]:
    """A script's lines outside comments, continuation lines joined."""
    joined: list[str] = []
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        if joined and joined[-1].endswith("\\"):
            joined[-1] = joined[-1][:-1] + " " + line.strip()
        else:
            joined.append(line)
    return joined


def documented_commands() -> list[tuple[str, str]]:
    """(where, command line) for each `python -m src...` line in the README's and design's shell blocks,
    the shell scripts, and the experiment headers' `Run:` lines."""
    found = []
    for doc in ("README.md", "docs/design.md"):
        found += [(doc, line) for line in _fenced_lines((ROOT / doc).read_text())]
    for sh in sorted((ROOT / "scripts").glob("*.sh")):
        found += [(f"scripts/{sh.name}", line) for line in _shell_lines(sh)]
    for exp in sorted((ROOT / "conf/experiment").glob("*.yaml")):
        header = exp.read_text().splitlines()[1]
        header = re.split(r"\s{2,}\(", header)[0]  # the command, not the aside in parentheses after it
        found += [(f"conf/experiment/{exp.name}", part) for part in header.split(" then ")]
    seen, unique = set(), []
    for where, line in found:
        if COMMAND.search(line) and (key := overrides_of(line)) not in seen:  # each distinct command once
            seen.add(key)
            unique.append((where, line))
    return unique


def _first_of_sweep(value: str) -> str:
    """A sweep's first value (`a,b` -> `a`); commas inside brackets or quotes are the value's own."""
    depth, quote = 0, None
    for i, ch in enumerate(value):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            return value[:i]
    return value


def overrides_of(line: str) -> tuple[str, tuple[str, ...]]:
    """The app and the overrides a documented line passes, placeholders filled, sweeps at their first value."""
    module, rest = COMMAND.search(line).groups()
    rest = re.sub(r"<[^>]*>", "PLACEHOLDER", rest)  # <implant run>, <folder or Hub id>
    rest = re.sub(r"\$\(.*?\)|\$\{?\w+\}?", "PLACEHOLDER", rest)  # "$MODEL", $(ls ...)
    out = []
    for token in shlex.split(rest, comments=True):
        if token == "$@" or token.startswith("-"):  # the script's own arguments; -m, --cfg: not overrides
            continue
        key, _, value = token.partition("=")
        out.append(f"{key}={_first_of_sweep(value)}")
    return APPS[module], tuple(out)


def test_the_docs_show_commands():
    where = {w for w, _ in COMMANDS}
    assert {"README.md", "scripts/slurm_sweep.sh", "conf/experiment/seeds.yaml"} <= where


COMMANDS = documented_commands()


@pytest.mark.parametrize("where,line", COMMANDS, ids=[f"{where}:{i}" for i, (where, _) in enumerate(COMMANDS)])
def test_documented_command_composes(where, line):
    app, overrides = overrides_of(line)
    compose(app, *overrides)  # raises on an unknown key, a wrong type or a missing config group option


def test_a_wrong_key_is_caught():
    """The check can fail: a key no schema has does not compose."""
    app, overrides = overrides_of("python -m src.pipeline model=hf data.preset=full")
    with pytest.raises(Exception, match="preset"):
        compose(app, *overrides)
