"""Shared fixtures. Tests run offline: W&B in offline mode, nothing from a hub.

`make test` runs two pytest-xdist workers, a file per worker (`--dist loadfile`, so module fixtures such
as the end-to-end pipeline run once); each worker then keeps to one thread, so two workers share two
cores instead of fighting over them.
"""

from __future__ import annotations

import gc
import os

import pytest

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["OMP_NUM_THREADS"] = "1"  # subprocesses too


def pytest_configure(config):
    """Convert the embedded model once, before any worker starts (on a fresh machine it takes ~20 s)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        torch.set_num_threads(1)
        return
    from src.models import embedded_folder, tiny_random_folder

    embedded_folder()
    tiny_random_folder()


def pytest_collection_modifyitems(config, items):
    """The end-to-end file takes about a quarter of the fast tests' time on one worker: it goes first, so the
    other worker's files fill in beside it instead of one worker running it alone at the end."""
    items.sort(key=lambda item: item.path.name != "test_pipeline.py")  # stable: the rest keep their order


def pytest_collection_finish(session):
    """What the test modules imported lives for the whole run: keep it out of the full garbage collections that
    accelerate and the training stages ask for after each model (0.4-0.6 s each over torch's, transformers' and
    the tokenizers' objects; about 15 s of the fast tests)."""
    gc.freeze()


@pytest.fixture(scope="session")
def tiny():
    """(model, tokenizer) of the tiny random Llama."""
    from src.models import load_model, load_tokenizer

    return load_model("tiny_random"), load_tokenizer("tiny_random")


@pytest.fixture(scope="session")
def tokenizer():
    from src.models import load_tokenizer

    return load_tokenizer("smollm2_135m")
