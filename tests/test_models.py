"""Model loading: the embedded model, the tiny random one, clear errors for what cannot load."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from src import TrainoutError
from src.models import ModelConfig, base_folder, load_model


def test_embedded_model_is_a_real_pretrained_llama():
    folder = base_folder(ModelConfig.from_cfg("smollm2_135m"))
    config = json.loads(folder and open(f"{folder}/config.json").read())
    assert config["num_hidden_layers"] == 30 and config["vocab_size"] == 49152


def test_tiny_random_shares_the_tokenizer(tiny, tokenizer):
    model, tok = tiny
    assert tok.get_vocab() == tokenizer.get_vocab()
    assert model.config.num_hidden_layers == 2


def test_missing_path_is_one_clear_line():
    with pytest.raises(TrainoutError, match="does not exist"):
        base_folder(ModelConfig(kind="hf", name_or_path="/nonexistent/model"))


def test_hub_id_offline_says_what_to_do():
    with pytest.raises(TrainoutError, match="not in the local Hugging Face cache"):
        base_folder(ModelConfig(kind="hf", name_or_path="some-org/some-model-that-is-not-cached"))


def test_pipeline_with_bad_model_fails_fast_without_traceback(tmp_path):
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "src.pipeline",
            "model=hf",
            "model.name_or_path=/nonexistent",
            f"hydra.run.dir={tmp_path}/run",
        ],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 1
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert lines == [
        "error: model path '/nonexistent' does not exist; "
        "pass model.name_or_path=<a folder with config.json> or a Hub id"
    ]


def test_pickle_only_checkpoint_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_bytes(b"\x80\x04")
    with pytest.raises(TrainoutError, match="pickle"):
        load_model(ModelConfig(kind="hf", name_or_path=str(tmp_path)))
