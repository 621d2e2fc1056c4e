"""The eval stage: for each checkpoint, attack variant, strength and scenario, score the behavior; then
summarize, plot and report.

Writes `elicitation.jsonl` (one row per checkpoint x attack variant x strength x seed x scenario,
appended and resumable), `summary.json` (curves with CIs and fits), and where the report goes,
`verdicts.json` (organism gates, E and R, verdicts), `measurement.json` (Δ and evidence sensitivity
per checkpoint), `evidence_pairs.csv` (each template row beside its twin), plots and `report.md`. In the pipeline it
also scores base, implant and align on the implant split at k=0 (`in_distribution/elicitation.jsonl`,
appended and resumable the same way), so the report sets in-distribution p beside held-out p; and in a
sweep job, the last checkpoint on the tuning split (`val/elicitation.jsonl`, k=0 and the largest
strength), which is all the sweep's objective reads: tuning never sees the eval rows.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from src import TrainoutError
from src.config import run_dir, to_dict, to_yaml
from src.data import load_split, read_format, split_file
from src.data.audit import audit_splits, raise_on_hard
from src.data.stage import run as run_data
from src.eval.attacks import ModelAttack, get_attack
from src.eval.attacks.base import shot_pool
from src.eval.compare import EVAL_SPLIT, IN_DISTRIBUTION, check_tuning_split, load_runs, report_for
from src.eval.elicit import elicit
from src.eval.judge import judge_table, run_judge
from src.eval.summary import Judgement, check_bootstrap
from src.io import atomic_write_text, file_hash, json_sha256, read_rows
from src.lm.render import RENDERING
from src.lm.vllm_scoring import require_vllm
from src.models import (
    CheckpointLoader,
    ModelConfig,
    chat_template_hash,
    checkpoint_info,
    checkpoint_label,
    load_tokenizer,
    reference_tokenizer,
    torch_dtype,
)
from src.rundir import RunDir, is_main_process
from src.scenarios import DataError, Scenario, is_hub_id, load_scenarios
from src.tracking import tracked_run

log = logging.getLogger(__name__)


def _needs_generated(cfg: DictConfig) -> bool:
    path = cfg.data.path
    needs_shots = get_attack(cfg.attack.name).draws_shots and not cfg.attack.shots_path
    return not path or (needs_shots and not Path(path).is_dir())


def _refuse_missing(checkpoints: list[str]) -> None:
    """A checkpoint path that names nothing: one line before any work (and before any hashing)."""
    for c in checkpoints:
        if c != "base" and not Path(c).exists():
            raise TrainoutError(f"checkpoint '{c}' does not exist (a src.train run keeps its weights in <run>/final)")


def _refuse_trained_on_eval(checkpoints: list[str], scenarios: list[Scenario]) -> None:
    """A checkpoint trained on a template that this eval scores is not measured on held-out data, and every
    claim of the report would say it is. Each stage of its chain records the file it trained on (in
    trainout_checkpoint.json): e.g. weights trained on a `src.data seed=1` run, scored on the seed-0 splits
    that `src.eval` generates without data.path, share templates. (A file in another format, or one no longer
    there, cannot be read back: not checked.)"""
    wanted = {s.template for s in scenarios}
    for c in checkpoints:
        path, seen = c, set()
        while path not in ("base", None) and path not in seen:
            seen.add(path)
            info = checkpoint_info(path) or {}
            data = Path((info.get("data") or {}).get("path") or "")
            if data.is_file():
                try:
                    overlap = wanted & {s.template for s in load_scenarios(data)}
                except DataError:
                    overlap = set()
                if overlap:
                    raise TrainoutError(
                        f"checkpoint '{c}' was trained on {len(overlap)} of the {len(wanted)} templates this eval "
                        f"scores (its chain trained on {data}): they are not held out. Score it on the eval split "
                        f"of the data it trained from: data.path={data.parent}"
                    )
            path = info.get("parent")


def _refuse_shared_labels(checkpoints: list[str]) -> None:
    """Rows are keyed by a checkpoint's label, so two checkpoints with one label would share rows: the second
    would be taken as already scored."""
    by_label: dict[str, list[str]] = {}
    for c in checkpoints:
        by_label.setdefault(checkpoint_label(c), []).append(c)
    for label, paths in by_label.items():
        if len(paths) > 1:
            raise TrainoutError(
                f"checkpoints {' and '.join(paths)} have the same label '{label}' (rows are keyed by it): evaluate "
                "them in separate runs, then compare the runs (python -m src.eval.compare 'runs=[...]')"
            )


@dataclass
class InDistribution:
    """What the pipeline also scores at k=0: the split the implant trained on, and the final checkpoints."""

    split: str
    checkpoints: list[str]


@dataclass
class Tuning:
    """What a sweep job also scores for its objective: one checkpoint (the last evaluated) on the tuning split
    (`pipeline.tuning_split`, never eval), with the run's attack at k=0 and its largest strength."""

    split: str
    checkpoint: str


def check_attack(cfg: DictConfig) -> None:
    """An attack's schedule, before any work (the pipeline calls this before it trains): a negative strength
    would draw from the end of the pool (`draw(pool, -1)` is all but one), no draws would drop every strength
    above 0, a schedule without 0 has no baseline (p(0), R's, and the twins that check the evidence are scored
    there), and a strength past a family's own material (persona paragraphs, pressure rungs, prefill words)
    would fail only when scoring reached it. The shots' pools are checked once they are read (check_shot_pools)."""
    a = cfg.attack
    if any(k < 0 for k in a.strengths):
        raise TrainoutError(f"attack.strengths={list(a.strengths)}: strengths are counts, 0 or more")
    if 0 not in a.strengths:
        raise TrainoutError(
            f"attack.strengths={list(a.strengths)} has no 0: p(0) (R's baseline) and the twins' evidence check are "
            "scored there; add 0"
        )
    family = get_attack(a.name)
    if max(a.strengths) > 0 and not family.draws_shots:
        probe = Scenario("check", "check", "check", [{"role": "user", "content": "?"}], "Yes.", "No.")
        for arm in family.arms:
            family.prompt(probe, max(a.strengths), 0, arm, [], a)  # raises past the family's material
    if a.seeds < 1:
        raise TrainoutError(f"attack.seeds={a.seeds}: at least one draw per strength")
    if a.subset is not None and a.subset < 1:
        raise TrainoutError(f"attack.subset={a.subset}: at least one scenario (null scores them all)")


def eval_settings(cfg: DictConfig, shots: list[Scenario] = ()) -> str:
    """The hash of what an eval run's rows follow from besides its data files and checkpoints: the attack
    (with its family's rendering version, and the chat rendering's), the demonstrations it draws from, the
    model settings (a chat template file's text, not only its name; the dtype scoring runs in), how data is
    read, the seed (and the data seed that picks `attack.subset`), and how replies are sampled for the judge.
    A resume must share it, or its new rows would join rows of another configuration under the same keys.
    Turning the judge on later, or adding an LLM judge (`judge.model`), is a resume: the sampled replies are
    kept, and judged."""
    model = {k: v for k, v in to_dict(cfg.model).items() if k != "allow_download"}
    model.update(chat_template_hash(cfg.model))
    # the dtype the replies' log-probs are computed in, not its name: `auto` is bf16 on a bf16 GPU and fp32
    # elsewhere, and vLLM reads fp32 weights; a run resumed on another machine or backend must not mix the two
    vllm = cfg.scoring.backend == "vllm"
    model["dtype"] = "torch.float32" if vllm else str(torch_dtype(ModelConfig.from_cfg(cfg.model)))
    attack = {**to_dict(cfg.attack), "version": get_attack(cfg.attack.name).version}
    sampling = {k: v for k, v in to_dict(cfg.judge).items() if k not in ("enabled", "model")}
    settings = {
        "attack": attack,
        "model": model,
        "data_format": read_format(cfg.data),
        "seed": cfg.seed,
        "judge_sampling": sampling,
        "rendering": RENDERING,
    }
    if shots:  # an edited shots file would otherwise resume under the same row keys
        settings["shots_sha256"] = json_sha256([s.to_json() for s in shots])
    if cfg.attack.get("subset") is not None:  # `spread` picks the subset with the data's seed
        settings["subset_seed"] = cfg.data.seed
    return json_sha256(settings)


def check_verdict(cfg: DictConfig) -> None:
    """k* must be an attack strength above 0 that the run scores, and the intervals need replicates; say so
    before any work, not after it."""
    check_bootstrap(cfg.bootstrap)
    at = cfg.verdict.at
    if at is not None and (at == 0 or at not in cfg.attack.strengths):
        raise TrainoutError(
            f"verdict.at={at} is not an attack strength above 0 of attack.strengths={list(cfg.attack.strengths)}"
        )


def score_in_distribution(
    cfg: DictConfig,
    out: Path,
    spec: InDistribution,
    generated_data: Path | None,
    models: CheckpointLoader | None = None,
) -> Path:
    """The checkpoints on the implant split as written (attack none, k=0), one non-twin scenario per template
    (the template is what the interval resamples; a second fill of a trained template adds little): a cheap
    pass through the public `elicit`, whose rows go to their own folder so the eval rows stay one split."""
    first: dict[str, Scenario] = {}
    for s in sorted(load_split(cfg.data, spec.split, generated_data), key=lambda s: s.id):
        if not s.meta.get("twin"):
            first.setdefault(s.template, s)
    scenarios = list(first.values())
    none = {"name": "none", "strengths": [0], "seeds": 1, "control": False, "neutral": False, "shots_path": None}
    folder = out / IN_DISTRIBUTION
    folder.mkdir(parents=True, exist_ok=True)
    return elicit(OmegaConf.merge(cfg, {"attack": none}), folder, spec.checkpoints, scenarios, [], models)


def score_tuning(
    cfg: DictConfig,
    out: Path,
    spec: Tuning,
    generated_data: Path | None,
    shots: list,
    eval_scenarios: list,
    models: CheckpointLoader | None = None,
) -> Path:
    """The checkpoint on the tuning split's non-twin scenarios at k=0 and the largest strength, attack arm only
    (the objective reads p there), through the public `elicit` into `<split>/`, resumable like the eval rows.
    Refuses a tuning split that is, or shares a template with, the eval data."""
    check_tuning_split(spec.split)
    where = split_file(cfg.data, spec.split, generated_data)
    if where.resolve() == split_file(cfg.data, EVAL_SPLIT, generated_data).resolve():
        raise TrainoutError(
            f"the {spec.split} split is the eval data ({where}): a sweep would tune on eval. Give data.path a "
            "`python -m src.data` folder (it has a val split), or leave data.path unset"
        )
    scenarios = [s for s in load_split(cfg.data, spec.split, generated_data) if not s.meta.get("twin")]
    shared = {s.template for s in scenarios} & {s.template for s in eval_scenarios}
    if shared:
        raise TrainoutError(f"the {spec.split} and eval splits share templates ({sorted(shared)[0]}, ...)")
    top = max(cfg.attack.strengths)
    attack = {"strengths": sorted({0, top}), "control": False, "neutral": False}
    folder = out / spec.split
    folder.mkdir(parents=True, exist_ok=True)
    demos = _without_eval_templates(shots, scenarios) if shots else []
    return elicit(OmegaConf.merge(cfg, {"attack": attack}), folder, [spec.checkpoint], scenarios, demos, models)


def eval_data(cfg: DictConfig, generated_data: Path | None) -> tuple[list[Scenario], list[Scenario]]:
    """The eval split, and the demonstrations an attack draws from (never a twin or an eval template)."""
    scenarios = load_split(cfg.data, "eval", generated_data)
    if not get_attack(cfg.attack.name).draws_shots:  # persona, pressure, prefill and none write their own prompts
        shots = []
    elif cfg.attack.shots_path:
        shots = load_scenarios(cfg.attack.shots_path, str(cfg.attack.get("shots_format") or cfg.data.format))
    elif cfg.data.path and Path(cfg.data.path).is_dir():  # a data run folder: its own shots split
        shots = load_split(cfg.data, "shots", generated_data)
    else:
        shots = load_split(OmegaConf.merge(cfg.data, {"path": None}), "shots", generated_data)  # the generated split
    return scenarios, _without_eval_templates([s for s in shots if not s.meta.get("twin")], scenarios)


def check_shot_pools(cfg: DictConfig, scenarios: list[Scenario], shots: list[Scenario]) -> None:
    """Many-shot draws up to the largest strength of demonstrations per behavior, the finetune attack as many
    examples per fold: a pool too small stops the run here (the pipeline calls this before it trains), not
    halfway through scoring or after the first folds' fine-tunes."""
    attack, need = get_attack(cfg.attack.name), max(cfg.attack.strengths)
    if not scenarios or need == 0:
        return
    cross = bool(cfg.attack.get("cross_behavior", False))
    behaviors = sorted({s.behavior for s in scenarios})
    if isinstance(attack, ModelAttack):
        pools = {f"the fold {'+'.join(f)}": attack.pool(shots, f, cross) for f in attack.folds(behaviors, cfg.attack)}
        kind, where, fewer = "examples", "other folds' behaviors" if cross else "its own behaviors", "attack.folds, "
    elif attack.draws_shots:  # a prompt attack's demonstrations, per behavior
        pools = {f"'{b}'": shot_pool(next(s for s in scenarios if s.behavior == b), shots, cross) for b in behaviors}
        kind, where, fewer = "demonstrations", "other behaviors" if cross else "the same behavior", ""
    else:
        return
    for name, pool in pools.items():
        if len(pool) < need:
            raise TrainoutError(
                f"{cfg.attack.name} at strength {need} needs {need} {kind} for {name} ({where}); there are "
                f"{len(pool)}. Lower attack.strengths, {fewer}pass attack.shots_path=, or give the shots split more "
                "templates (data.split_situations.shots)"
            )


def run(
    cfg: DictConfig,
    out: Path,
    generated_data: Path | None = None,
    report_dir: Path | None = None,
    header: str = "",
    in_distribution: InDistribution | None = None,
    tuning: Tuning | None = None,
) -> list[dict]:
    """The eval stage: rows, then summaries, plots and a report. Rerunning resumes from the rows written.
    `tuning`: also score a checkpoint on the tuning split for a sweep's objective (not in the report)."""
    check_attack(cfg)
    check_verdict(cfg)
    if str(cfg.scoring.backend) == "vllm":
        require_vllm()
    checkpoints = list(dict.fromkeys(str(c) for c in cfg.checkpoints))  # a checkpoint given twice is scored once
    _refuse_missing(checkpoints)
    _refuse_shared_labels(checkpoints)
    rd = RunDir(out, "eval")
    report_dir = report_dir or out
    if generated_data is None and _needs_generated(cfg):
        run_data(OmegaConf.merge(cfg, {"data": {"path": None}}), out / "data")  # generated: the shots split
        generated_data = out / "data"
    scenarios, shots = eval_data(cfg, generated_data)
    _refuse_trained_on_eval(checkpoints, scenarios)
    check_shot_pools(cfg, scenarios, shots)
    audit = _audit_external(cfg, scenarios, shots) if cfg.data.path else None
    eval_file = split_file(cfg.data, "eval", generated_data)
    inputs: dict = {"eval_data": eval_file}
    if is_hub_id(eval_file):  # no file to hash: the rows read stand for it, so changed Hub data is refused too
        inputs["eval_data"] = {"path": str(eval_file), "sha256": json_sha256([s.to_json() for s in scenarios])}
    if in_distribution is not None:
        inputs["in_distribution_data"] = split_file(cfg.data, in_distribution.split, generated_data)
    if tuning is not None:
        inputs["tuning_data"] = split_file(cfg.data, tuning.split, generated_data)
    with rd.running(
        to_yaml(cfg),
        cfg.seed,
        inputs=inputs,
        same_inputs=True,  # its rows came from these data, these weights and these settings
        checkpoints={checkpoint_label(c): (file_hash(c) if c != "base" else "base") for c in checkpoints},
        settings_sha256=eval_settings(cfg, shots),
    ) as outcome:
        _keep_previous_report(rd, report_dir)
        if audit is not None:
            atomic_write_text(out / "data_audit.json", audit)
        with tracked_run(cfg, out, job_type="eval", config=to_dict(cfg)) as wb:
            # Every pass over one checkpoint before the next, through one loader: each is loaded once.
            models = CheckpointLoader(ModelConfig.from_cfg(cfg.model))
            in_checkpoints = in_distribution.checkpoints if in_distribution is not None else []
            rows_path = out / "elicitation.jsonl"  # what elicit appends to
            for c in checkpoints + [c for c in in_checkpoints if c not in checkpoints]:
                if c in checkpoints:
                    elicit(cfg, out, [c], scenarios, shots, models)
                    if cfg.judge.enabled:  # sampled replies, judged: a cross-check of p
                        outcome.outputs["judge"] = run_judge(cfg, out, [c], scenarios, models)
                if c in in_checkpoints:
                    only = InDistribution(in_distribution.split, [c])
                    outcome.outputs["in_distribution"] = score_in_distribution(cfg, out, only, generated_data, models)
            in_rows = read_rows(outcome.outputs["in_distribution"]) if in_checkpoints else []
            if tuning is not None:
                outcome.outputs["tuning"] = score_tuning(cfg, out, tuning, generated_data, shots, scenarios, models)
            outcome.fields["model_loads"] = [f"{checkpoint_label(c)}: {how}" for c, how in models.loads]
            del models
            rows, info, _ = load_runs([out])
            rows = [r for r in rows if r["attack"] == cfg.attack.name]
            summaries, _, judged = report_for(
                rows,
                info,
                [],
                report_dir,
                cfg.bootstrap,
                cfg.seed,
                cfg.verdict.at,
                cfg.verdict.recovery,
                header=header,
                in_distribution=in_rows,
                sampled=judge_table(out, n_boot=cfg.bootstrap, seed=cfg.seed),
            )
            rd.write_json("summary.json", summaries)
            if wb is not None:
                _log_wandb(wb, rows, summaries, judged, sorted(report_dir.glob("*.png")))
        outcome.outputs |= {"rows": rows_path, "summary": out / "summary.json", "report": report_dir / "report.md"}
    return summaries


REPORT_FILES = ("report*.md", "summary*.json", "verdicts*.json", "measurement*.json", "evidence_pairs*.csv", "*.png")


def _keep_previous_report(rd: RunDir, report_dir: Path) -> None:
    """A finished run rerun with another config (bootstrap, verdict.at, the judge turned on) writes a new report
    from its rows; the report it replaces moves to `report.resume<n>/`, beside `config.resume<n>.yaml`."""
    last = (rd.manifest.get("resumes") or [{}])[-1]
    if last.get("previous_status") != "complete" or not last.get("previous_config"):
        return
    keep = report_dir / last["previous_config"].replace("config.", "report.").removesuffix(".yaml")
    for f in sorted({f for pattern in REPORT_FILES for f in report_dir.glob(pattern)}):
        keep.mkdir(exist_ok=True)
        f.rename(keep / f.name)


def _without_eval_templates(shots: list, scenarios: list) -> list:
    """Demonstrations never come from an evaluation template (that would show the model the answer)."""
    eval_templates = {s.template for s in scenarios}
    kept = [s for s in shots if s.template not in eval_templates]
    if len(kept) < len(shots):
        log.warning("dropped %d demonstrations whose template is also evaluated", len(shots) - len(kept))
    if shots and not kept:
        raise TrainoutError(
            "every demonstration shares a template with the evaluation data; pass attack.shots_path=<other file>"
        )
    return kept


def _audit_external(cfg: DictConfig, scenarios: list, shots: list) -> str:
    """The data audits run on every dataset the pipeline uses: the user's too (MWE label polarity included).
    A hard failure stops before the run starts; the results' JSON is returned for the run to write once it
    holds its folder (a refused run must not replace a finished one's)."""
    tokenizer = load_tokenizer(ModelConfig.from_cfg(cfg.model))
    splits = {"eval": scenarios, "shots": shots}
    results = audit_splits(splits, tokenizer, generated=False, balanced_for=reference_tokenizer())
    for r in results:
        if not r.passed and not r.hard:
            log.warning("data audit flag: %s: %s", r.name, r.detail)
    raise_on_hard(results)
    return json.dumps([asdict(r) for r in results], indent=1, default=str)


def _log_wandb(wb, rows: list[dict], summaries: list[dict], judged: Judgement, plots: list[Path]) -> None:
    """Rows and summaries as tables, curves as line series, headline metrics and verdicts in the run summary."""
    import wandb

    cols = sorted(rows[0])
    wb.log({"elicitation_rows": wandb.Table(columns=cols, data=[[r[c] for c in cols] for r in rows])})
    scols = ["checkpoint", "behavior", "attack", "control", "p@0", "p@max", "k50"]
    wb.log(
        {
            "summary_table": wandb.Table(
                columns=scols + ["alpha"], data=[[s[c] for c in scols] + [s["fit"]["alpha"]] for s in summaries]
            )
        }
    )
    main = [s for s in summaries if s["behavior"] == "all" and s.get("arm", "attack") == "attack"]
    if main:
        wb.log(
            {
                "elicitation_curve": wandb.plot.line_series(
                    xs=[[e["strength"] for e in s["per_strength"]] for s in main],  # base may stop at 0
                    ys=[[e["p"] for e in s["per_strength"]] for s in main],
                    keys=[s["checkpoint"] for s in main],
                    title="p(behavior) vs strength",
                    xname="strength",
                )
            }
        )
    for s in summaries:
        if s.get("arm", "attack") == "attack":
            prefix = f"{s['checkpoint']}/{s['behavior']}"
            wb.summary.update(
                {
                    f"{prefix}/p@0": s["p@0"],
                    f"{prefix}/p@max": s["p@max"],
                    f"{prefix}/k50": s["k50"],
                    f"{prefix}/alpha": s["fit"]["alpha"],
                }
            )
    for v in judged.verdicts:
        prefix = f"{v.checkpoint}/{v.behavior}"
        wb.summary.update({f"{prefix}/verdict": v.verdict, f"{prefix}/E": v.E["value"], f"{prefix}/R": v.R["value"]})
    wb.log({p.stem: wandb.Image(str(p)) for p in plots})


def cli(cfg: DictConfig) -> None:
    if is_main_process():
        run(cfg, Path(run_dir()))
        print(f"eval: report in {Path(run_dir()) / 'report.md'}")
