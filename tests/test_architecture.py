"""The layering: src/lm is shared by train and eval, which never import each other, and no module imports
an entry point (`__main__`). Read from the source, so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"


def imports(path: Path) -> set[str]:
    """Every module a file imports, absolute or relative, at any depth of the file."""
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found |= {base} | {f"{base}.{a.name}" for a in node.names}
    return found


def modules(folder: str) -> list[Path]:
    return sorted((SRC / folder).rglob("*.py"))


def offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{p.relative_to(SRC.parent)} imports {m}"
        for p in modules(folder)
        for m in sorted(imports(p))
        if m.startswith(forbidden)
    ]


@pytest.mark.parametrize(
    "folder, forbidden",
    [
        ("train", ("src.eval",)),
        ("eval", ("src.train",)),
        ("lm", ("src.train", "src.eval", "src.data")),
        ("data", ("src.train", "src.eval")),
    ],
)
def test_layers_do_not_import_each_other(folder, forbidden):
    assert offenders(folder, forbidden) == []


def test_no_module_imports_an_entry_point():
    bad = [
        f"{p.relative_to(SRC.parent)} imports {m}"
        for p in sorted(SRC.rglob("*.py"))
        for m in imports(p)
        if m.endswith("__main__")
    ]
    assert bad == []


def test_the_check_sees_a_forbidden_import(tmp_path, monkeypatch):
    """The checker itself: a planted eval import inside a train function is found."""
    fake = tmp_path / "src" / "train"
    fake.mkdir(parents=True)
    (fake / "x.py").write_text("def f():\n    from ..eval.summary import point\n    import src.eval.stage\n")
    monkeypatch.setattr(__import__(__name__), "SRC", tmp_path / "src")
    assert offenders("train", ("src.eval",)) == [
        "src/train/x.py imports src.eval.stage",
        "src/train/x.py imports src.eval.summary",
        "src/train/x.py imports src.eval.summary.point",
    ]
