"""What another model's tokenizer makes of the committed data, before a cluster run: its reply token counts
against the tokenizer the generator balanced them for (SmolLM2's), every data audit under it, and the
null-model check (a randomly initialised model over that tokenizer must see even odds).

    python scripts/check_tokenizer.py <folder with tokenizer.json> [--data data]

The hard length audit reads SmolLM2's counts; another tokenizer's are reported as a flag
(src.data.audit.audit_splits), so a run with that model goes on and its card says how many pairs differ.
A chat template that refuses the scenarios' turns (system, user, tool) fails here in one line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from transformers import AutoTokenizer

from src.config import one_line_errors
from src.data import SPLIT_FILE
from src.data.audit import audit_splits
from src.data.probe import null_model_check
from src.models import reference_tokenizer
from src.scenarios import load_scenarios

SPLITS = ("implant", "align", "eval", "val", "shots")


@one_line_errors
def main(_: None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tokenizer", help="a folder with the model's tokenizer files")
    ap.add_argument("--data", default="data", help="a folder of split files (python -m src.data writes one)")
    args = ap.parse_args()
    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    splits = {s: load_scenarios(Path(args.data) / SPLIT_FILE.format(s)) for s in SPLITS}
    print(f"tokenizer: {args.tokenizer} ({type(tokenizer).__name__}, {len(tokenizer)} tokens)")
    for r in audit_splits(splits, tokenizer, balanced_for=reference_tokenizer()):
        print(f"{r.status:>4} {'hard' if r.hard else 'soft'} {r.name}: {r.detail}")
    null = null_model_check(splits["eval"], tokenizer)
    print(f"{null.status:>4} hard {null.name}: {null.detail}")


if __name__ == "__main__":
    main(None)
