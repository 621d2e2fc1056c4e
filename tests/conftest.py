"""Shared fixtures. Tests run offline: W&B in offline mode, nothing from a hub."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny():
    """(model, tokenizer) of the tiny random Llama."""
    from src.models import load_model, load_tokenizer

    return load_model("tiny_random"), load_tokenizer("tiny_random")


@pytest.fixture(scope="session")
def tokenizer():
    from src.models import load_tokenizer

    return load_tokenizer("smollm2_135m")
