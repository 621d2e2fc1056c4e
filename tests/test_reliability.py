"""Killed runs lose nothing, bad input gets one clear line, same seed gives the same bytes.

The process-kill tests (SIGKILL at several points, then the same command again) are slow and run in
`make test-full`; the fast ones run the stages in process and cut their files the way a kill would."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import compose, rows_of

from src import TrainoutError
from src.config import one_line_errors
from src.data import load_split
from src.data.stage import run as run_data
from src.eval.elicit import elicit
from src.eval.stage import run as run_eval
from src.io import atomic_write_text, file_hash, read_rows
from src.rundir import RunDir


def cli(module: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )


def data_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("scenarios_*.jsonl"))}


def test_data_is_byte_identical_for_a_seed(tmp_path):
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        run_data(
            compose("data", f"seed={seed}", "tracker=none", "data.probe=false", "data.behaviors=[sandbagging]"),
            tmp_path / name,
        )
    a, b, c = (data_files(tmp_path / n) for n in "abc")
    assert a and a == b
    assert a != c
    assert (tmp_path / "a" / "dataset_card.md").read_bytes() == (tmp_path / "b" / "dataset_card.md").read_bytes()


def test_unknown_behavior_in_a_filter_is_one_clear_error(tmp_path):
    with pytest.raises(TrainoutError, match=r"unknown behavior\(s\) \['lying_to_auditors'\]"):
        run_data(compose("data", "data.behaviors=[lying_to_auditors]", "tracker=none", "data.probe=false"), tmp_path)


def test_a_full_disk_is_one_line(capsys):
    def write(cfg):
        raise OSError(errno.ENOSPC, "No space left on device", "/x/scenarios_eval.jsonl")

    with pytest.raises(SystemExit) as e:
        one_line_errors(write)(None)
    assert e.value.code == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: disk full while writing /x/scenarios_eval.jsonl; free space and rerun the same command to resume"
    ]


def test_full_disk_leaves_no_partial_file(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root) to fill a disk for real")
    try:
        with pytest.raises(OSError) as e:
            run_data(compose("data", "tracker=none", "data.probe=false"), mnt / "run")
        assert e.value.errno == errno.ENOSPC
        for f in (mnt / "run").glob("scenarios_*.jsonl"):  # any split file present is complete
            assert f.read_text().endswith("\n") and all(json.loads(line) for line in f.read_text().splitlines())
        assert not list((mnt / "run").glob(".*.tmp*"))
        manifest = (
            json.loads((mnt / "run" / "manifest.json").read_text()) if (mnt / "run" / "manifest.json").exists() else {}
        )
        assert manifest.get("status") in (None, "failed", "running")
    finally:
        subprocess.run(["umount", str(mnt)])


def test_a_results_file_is_cut_only_by_its_writer_and_a_bad_row_names_its_line(tmp_path):
    rows = tmp_path / "elicitation.jsonl"
    rows.write_text('{"k": 1}\n{"k": 2}\n{"k": 3, "te')  # a writer killed (or still writing) mid-row
    assert read_rows(rows) == [{"k": 1}, {"k": 2}]
    assert rows.read_text().endswith('"te')  # a reader (compare on a running eval) leaves the file alone
    assert read_rows(rows, repair=True) == [{"k": 1}, {"k": 2}]
    assert rows.read_text() == '{"k": 1}\n{"k": 2}\n'  # the writer cuts the torn row before appending
    rows.write_text('{"k": 1}\n{"k": 2,\n{"k": 3}\n')
    with pytest.raises(TrainoutError, match=rf"^{rows}:2: not a JSON row"):
        read_rows(rows)


def test_a_checkpoint_hash_is_its_weights_and_follows_every_rewrite(tmp_path):
    ckpt = tmp_path / "checkpoint-4"
    (ckpt / "global_step4").mkdir(parents=True)
    (ckpt / "adapter_model.safetensors").write_bytes(b"weights")
    (ckpt / "adapter_config.json").write_text("{}")
    first = file_hash(ckpt)
    # the Trainer's resume state is not what the folder loads as
    for name in ("optimizer.pt", "scheduler.pt", "rng_state_0.pth", "trainer_state.json", "training_args.bin"):
        (ckpt / name).write_bytes(b"state")
    (ckpt / "global_step4" / "zero_pp_rank_0_optim_states.pt").write_bytes(b"state")
    assert file_hash(ckpt) == first
    # the weights are: a rewrite of the same size is seen (the remembered hash is keyed by inode and mtime too)
    atomic_write_text(ckpt / "adapter_model.safetensors", "WEIGHTS")
    assert file_hash(ckpt) != first
    (ckpt / "adapter_model.safetensors").write_bytes(b"weights, retrained")  # in place, another size
    assert file_hash(ckpt) != first
    with pytest.raises(TrainoutError, match="no such file or folder"):  # not the hash of nothing
        file_hash(tmp_path / "checkpoint-5")


def test_strength_beyond_the_context_is_skipped_and_recorded(tmp_path):
    args = [
        "model=tiny_random",
        "model.max_context=300",
        "attack.seeds=1",
        "tracker=none",
        "bootstrap=20",
        "data.scenarios_per_template=1",
        "data.probe=false",
        "data.behaviors=[deceive_overseer]",
        "judge.enabled=false",  # tests/test_judge.py
    ]
    run_eval(compose("eval", *args, "attack.strengths=[0,2]"), tmp_path)
    skipped = json.loads((tmp_path / "skipped.json").read_text())
    assert skipped and all(s["key"][3] == 2 and s["tokens"] > s["limit"] == 300 for s in skipped)
    assert {r["strength"] for r in rows_of(tmp_path)} == {0}
    # the stage calls elicit once per checkpoint: a later call adds to skipped.json, never drops what it held
    cfg = compose("eval", *args, "attack.strengths=[0,3]")
    eval_split = load_split(cfg.data, "eval", tmp_path / "data")
    elicit(cfg, tmp_path, ["base"], eval_split, load_split(cfg.data, "shots", tmp_path / "data"))
    both = json.loads((tmp_path / "skipped.json").read_text())
    assert both[: len(skipped)] == skipped and {s["key"][3] for s in both} == {2, 3}


EVAL_ARGS = [
    "model=tiny_random",
    "attack.strengths=[0,1,2,4]",
    "attack.seeds=2",
    "tracker=none",
    "bootstrap=20",
    "data.scenarios_per_template=1",
    "data.probe=false",
    "data.behaviors=[deceive_overseer,sandbagging]",
    "judge.enabled=false",  # tests/test_judge.py
]


def key(r: dict) -> tuple:
    return r["checkpoint"], r["attack"], r.get("arm"), r["strength"], r["seed"], r["scenario_id"]


def assert_resumed_like(got: list[dict], expected: list[dict]) -> None:
    assert len({key(r) for r in got}) == len(got) == len(expected)
    by_key = {key(r): r for r in expected}
    for r in got:  # the resumed rows are the uninterrupted run's rows, to the last bit
        assert r == by_key[key(r)]


def test_eval_cut_mid_sweep_resumes_with_every_row_exactly_once(tmp_path):
    """What a kill leaves (some rows, a torn last line, a manifest still `running`), then the same command."""
    cfg = compose("eval", *EVAL_ARGS, "attack.strengths=[0,1,2]", "attack.seeds=1", "data.scenarios_per_template=1")
    ref = tmp_path / "ref"
    run_eval(cfg, ref)
    expected = rows_of(ref)
    run = tmp_path / "killed"
    run.mkdir()
    text = (ref / "elicitation.jsonl").read_text()
    cut = text.index("\n", len(text) // 3) + 40  # a third of the rows, then half a line
    (run / "elicitation.jsonl").write_text(text[:cut])
    manifest = json.loads((ref / "manifest.json").read_text())
    (run / "manifest.json").write_text(json.dumps({**manifest, "status": "running", "resumes": []}))
    run_eval(cfg, run)
    assert_resumed_like(rows_of(run), expected)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete" and [r["previous_status"] for r in manifest["resumes"]] == ["running"]
    split = run / "data" / "scenarios_eval.jsonl"
    split.write_text("".join(split.read_text().splitlines(keepends=True)[:-1]))  # the eval data changed since
    with pytest.raises(TrainoutError, match=r"killed: eval_data changed since this eval run started"):
        run_eval(cfg, run)


def test_a_hand_edited_record_that_is_not_json_is_named_in_one_line(tmp_path):
    from src.models import CHECKPOINT_INFO, checkpoint_info

    (tmp_path / "manifest.json").write_text('{"status": "complete",')
    with pytest.raises(TrainoutError, match=r"manifest.json: not a JSON file"):
        RunDir(tmp_path, "data").is_complete()
    (tmp_path / CHECKPOINT_INFO).write_text("{")
    with pytest.raises(TrainoutError, match=f"{CHECKPOINT_INFO}: not a JSON file"):
        checkpoint_info(tmp_path)


def test_a_resume_keeps_the_config_it_replaces(tmp_path):
    rd = RunDir(tmp_path, "data", writer=True)
    rd.start("seed: 0\n", 0)
    rd.start("seed: 0\n", 0)  # the same command again: nothing to keep
    rd.start("seed: 1\n", 1)
    resumes = rd.manifest["resumes"]
    assert [r.get("previous_config") for r in resumes] == [None, "config.resume2.yaml"]
    assert (tmp_path / "config.resume2.yaml").read_text() == "seed: 0\n"
    assert (tmp_path / "config.yaml").read_text() == "seed: 1\n" and resumes[1]["previous_command"]


def test_a_checkpoint_left_out_of_one_resume_is_still_checked_by_the_next(tmp_path):
    """align scored, then implant alone in the same folder, then align retrained: its old rows must not pass
    for the new weights'."""
    rd = RunDir(tmp_path, "eval", writer=True)
    rd.start("c\n", 0, same_inputs=True, checkpoints={"align": "h1"})
    rd.start("c\n", 0, same_inputs=True, checkpoints={"implant": "h2"})
    assert rd.manifest["checkpoints"] == {"align": "h1", "implant": "h2"}
    with pytest.raises(TrainoutError, match="checkpoint align changed"):
        rd.start("c\n", 0, same_inputs=True, checkpoints={"align": "h3"})


def test_a_second_writer_of_a_run_dir_stops_and_a_dead_ones_lock_is_free(tmp_path):
    holder = subprocess.Popen(  # another process in the middle of this run: it holds the run dir
        [sys.executable, "-c", HOLD_RUN_DIR, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(TrainoutError, match=rf"pid {holder.pid} on .* is running this eval stage now"):
            with RunDir(tmp_path, "eval", writer=True).running("seed: 0\n", 0):
                pass
        assert RunDir(tmp_path, "eval").manifest["status"] == "running"  # the refused one wrote nothing
    finally:
        holder.send_signal(signal.SIGKILL)  # killed mid-run: the OS drops its lock
        holder.wait()
    with RunDir(tmp_path, "eval", writer=True).running("seed: 0\n", 0):
        pass
    manifest = RunDir(tmp_path, "eval").manifest
    assert manifest["status"] == "complete" and manifest["resumes"][0]["previous_status"] == "running"


HOLD_RUN_DIR = """
import sys, time
from src.rundir import RunDir
with RunDir(sys.argv[1], "eval", writer=True).running("seed: 0\\n", 0):
    print("holding", flush=True)
    time.sleep(600)
"""


def eval_until_its_first_row(run: Path) -> tuple[subprocess.Popen, Path]:
    """`src.eval` started into `run`, returned once it has written a row (or after 2 minutes)."""
    p = subprocess.Popen(
        [sys.executable, "-m", "src.eval", *EVAL_ARGS, f"hydra.run.dir={run}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows_file = run / "elicitation.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and not (rows_file.exists() and rows_file.stat().st_size > 0):
        time.sleep(0.05)
    return p, rows_file


@pytest.mark.slow
def test_eval_killed_mid_sweep_resumes_with_every_row_exactly_once(tmp_path):
    ref = tmp_path / "ref"
    assert cli("src.eval", *EVAL_ARGS, f"hydra.run.dir={ref}").returncode == 0
    run = tmp_path / "killed"
    p, rows_file = eval_until_its_first_row(run)
    p.send_signal(signal.SIGKILL)
    p.wait()
    partial = len(rows_file.read_text().splitlines())
    expected = rows_of(ref)
    assert 0 < partial < len(expected)  # killed mid-sweep
    assert json.loads((run / "manifest.json").read_text())["status"] == "running"
    assert cli("src.eval", *EVAL_ARGS, f"hydra.run.dir={run}").returncode == 0
    assert_resumed_like(rows_of(run), expected)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete" and len(manifest["resumes"]) == 1


@pytest.mark.slow
def test_sigterm_marks_the_run_interrupted_and_it_resumes(tmp_path):
    """kill, timeout or a scheduler's preemption send SIGTERM: the run's cleanup runs (Python's default would
    skip it), its manifest says so, and the same command resumes it."""
    run = tmp_path / "stopped"
    p, rows_file = eval_until_its_first_row(run)
    p.send_signal(signal.SIGTERM)
    assert p.wait() == 128 + signal.SIGTERM
    manifest = json.loads((run / "manifest.json").read_text())
    assert (manifest["status"], manifest["error"]) == ("interrupted", "stopped by a signal")
    assert cli("src.eval", *EVAL_ARGS, f"hydra.run.dir={run}").returncode == 0
    assert json.loads((run / "manifest.json").read_text())["status"] == "complete"


@pytest.mark.slow
def test_a_login_without_a_network_logs_offline(tmp_path, monkeypatch):
    """tracker.mode=auto goes online when it finds a W&B key; with no server to reach, the run logs offline
    (one warning) instead of dying with W&B's traceback."""
    key = {
        "WANDB_API_KEY": "0" * 40,
        "WANDB_BASE_URL": "http://127.0.0.1:9",
        "WANDB_INIT_TIMEOUT": "8",
        "WANDB_MODE": "",
    }
    got = cli("src.data", "model=tiny_random", "data.probe=false", f"hydra.run.dir={tmp_path}", env=key)
    assert got.returncode == 0, got.stderr
    assert "logging offline instead" in got.stdout + got.stderr
    assert list((tmp_path / "wandb").glob("offline-run-*"))
    from helpers import compose

    from src.tracking import tracked_run

    for name, value in key.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(TrainoutError, match="tracker.mode=offline logs locally"):  # online asked for: one line
        with tracked_run(compose("data", "tracker.mode=online"), tmp_path / "again", "data"):
            pass


@pytest.mark.slow
def test_one_job_s_bad_input_does_not_stop_the_sweep(tmp_path):
    """In a multirun a job's input error prints its line and fails that job only; the next job still runs."""
    got = cli(
        "src.data",
        "-m",
        "model=tiny_random",
        "tracker=none",
        "data.behaviors=[nope],[nada]",
        f"hydra.sweep.dir={tmp_path}",
    )
    assert got.returncode != 0
    assert "error: unknown behavior(s) ['nope']" in got.stderr and "error: unknown behavior(s) ['nada']" in got.stderr


@pytest.mark.slow
def test_data_killed_anywhere_then_rerun_gives_the_same_files(tmp_path):
    ref = tmp_path / "ref"
    assert cli("src.data", "tracker=none", "data.probe=false", f"hydra.run.dir={ref}").returncode == 0
    run = tmp_path / "killed"
    for delay in (1.0, 2.5, 4.0):  # kill at several points of start-up and writing
        p = subprocess.Popen(
            [sys.executable, "-m", "src.data", "tracker=none", "data.probe=false", f"hydra.run.dir={run}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        for f in run.glob("scenarios_*.jsonl"):  # whatever exists is whole: writes are atomic
            assert f.read_bytes() == (ref / f.name).read_bytes()
    assert cli("src.data", "tracker=none", "data.probe=false", f"hydra.run.dir={run}").returncode == 0
    assert data_files(run) == data_files(ref)
    assert not list(run.glob(".*.tmp*"))


def test_a_filesystem_without_locks_stops_in_one_line_naming_the_lock(tmp_path, monkeypatch):
    """Lustre mounted `noflock` answers flock with ENOSYS: the run folder's lock says what to do, no traceback."""
    import errno
    import fcntl

    from src import TrainoutError
    from src.rundir import RunDir

    def no_locks(f, operation):
        raise OSError(errno.ENOSYS, os.strerror(errno.ENOSYS))

    monkeypatch.setattr(fcntl, "flock", no_locks)
    with pytest.raises(TrainoutError, match=r"\.lock: this filesystem does not support file locks"):
        with RunDir(tmp_path / "run", "eval").exclusive():
            pass
