"""Attack families: each renders through `plan` and scores on the cache path exactly as on the plain path,
keeps the prefix layout the cache relies on, and has a control of the same length. The many-shot neutral
arm and the shot pool: tests/test_many_shot.py."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from src.config import group_option
from src.data.generate import GenerateConfig, generate
from src.eval.attacks import get_attack
from src.eval.attacks.base import ATTACK_ARM, CONTROL_ARM, NEUTRAL_ARM
from src.eval.elicit import plan
from src.lm.render import batch_token_ids, render, token_counter, token_ids
from src.lm.request import Request
from src.lm.scoring import Scorer, encode, encode_all
from src.scenarios import Scenario

CONF = Path(__file__).parent.parent / "conf" / "attack"
FAMILIES = ["none", "many_shot", "persona", "pressure", "prefill"]
SMALL = {"none": [0], "many_shot": [0, 1, 2], "persona": [0, 1, 3], "pressure": [0, 1, 3], "prefill": [0, 2, 5]}


def attack_cfg(name: str, **over):
    cfg = group_option("attack", name)
    cfg.strengths = SMALL[name]
    for k, v in over.items():
        cfg[k] = v
    return cfg


def splits(per_template: int = 3) -> tuple[list[Scenario], list[Scenario]]:
    """Eval scenarios and demonstrations from disjoint templates, whatever the template set holds.

    One situation per behavior in each (4 templates); demonstrations leave out the twins, as the eval stage does.
    """
    s = generate(GenerateConfig(scenarios_per_template=per_template, split_situations={"eval": 1, "shots": 1}))
    return s["eval"], [x for x in s["shots"] if not x.meta["twin"]]


@pytest.fixture(scope="module")
def data() -> tuple[list[Scenario], list[Scenario]]:
    """A few eval scenarios (at most 2 per behavior, 3 behaviors) and all demonstrations."""
    ev, shots = splits()
    picked, per = [], Counter()
    for s in ev:
        if per[s.behavior] < 2 and (s.behavior in per or len(per) < 3):
            picked.append(s)
            per[s.behavior] += 1
    return picked, shots


def by_key(scores):
    return {r.key: s for r, s in scores}


@pytest.mark.parametrize(
    "family",  # persona shares its context across scenarios as many-shot does: make test-full only
    [pytest.param(f, marks=[pytest.mark.slow] if f == "persona" else []) for f in FAMILIES],
)
def test_cached_and_plain_scores_agree(family, tiny, data):
    model, tok = tiny
    ev, shots = data
    reqs = plan("base", ev, shots, attack_cfg(family))
    assert {r.key[3] for r in reqs} == set(SMALL[family])
    cached = Scorer(model, tok, prefix_cache=True, max_batch_tokens=4000)
    plain = Scorer(model, tok, prefix_cache=False, max_batch_tokens=4000)
    a, b = by_key(cached.score(reqs)), by_key(plain.score(reqs))
    assert not cached.skipped and a.keys() == b.keys() == {r.key for r in reqs}
    for k in a:
        assert abs(a[k].logp_deceptive - b[k].logp_deceptive) < 1e-4, k
        assert abs(a[k].logp_honest - b[k].logp_honest) < 1e-4, k
        assert a[k].prompt_tokens == b[k].prompt_tokens


@pytest.mark.parametrize("family", [*FAMILIES, "faux"])
def test_turn_by_turn_tokenization_is_whole_text_tokenization(family, tokenizer, data):
    """The scorer tokenizes each distinct turn once and joins the ids; every prompt and prompt + reply of every
    family (many-shot as turns and as one faux transcript) must get exactly the ids of the whole text."""
    ev, shots = data
    strengths = {"many_shot": [0, 3, 16], "faux": [2, 8], "persona": [1, 4], "pressure": [1, 4], "prefill": [2, 16]}
    cfg = attack_cfg("many_shot", layout="faux") if family == "faux" else attack_cfg(family)
    cfg.strengths = strengths.get(family, [0])
    texts = [
        render(tokenizer, r.prompt.messages, r.prompt.prefill, reply)
        for r in plan("base", ev, shots, cfg)
        for reply in (None, r.deceptive, r.honest)
    ]
    assert batch_token_ids(tokenizer, texts) == [token_ids(tokenizer, t) for t in texts]


def _contexts(tok, reqs) -> dict[tuple, list[int]]:
    """(arm, strength, seed, scenario) -> the scorer's cached context ids."""
    return {(a, k, seed, sid): encode(tok, r).context_ids for r in reqs for _, _, a, k, seed, sid in [r.key]}


@pytest.mark.parametrize("family", ["many_shot", "pressure"])
def test_a_lower_strength_context_is_a_token_prefix_of_a_higher_one(family, tokenizer, data):
    ev, shots = data
    ctx = _contexts(tokenizer, plan("base", ev, shots, attack_cfg(family, strengths=[0, 1, 2, 4])))
    for (c, k, seed, sid), ids in ctx.items():
        for k2 in (1, 2, 4):
            if k2 > k and (c, k2, seed, sid) in ctx:
                hi = ctx[(c, k2, seed, sid)]
                assert len(hi) > len(ids) and hi[: len(ids)] == ids, (c, k, k2, seed, sid)


def test_persona_context_extends_up_to_the_end_of_its_system_turn(tokenizer, data):
    """The persona extends the system message: all but the end-of-turn tokens carry over to the next strength."""
    ev, shots = data
    ctx = _contexts(tokenizer, plan("base", ev, shots, attack_cfg("persona", strengths=[0, 1, 2, 4])))
    for (c, k, seed, sid), ids in ctx.items():
        assert tokenizer.decode(ids[-2:]) == "<|im_end|>\n"
        for k2 in (1, 2, 4):
            if k2 > k and (c, k2, seed, sid) in ctx:
                hi = ctx[(c, k2, seed, sid)]
                assert hi[: len(ids) - 2] == ids[:-2], (c, k, k2, seed, sid)
    shared: dict[tuple, set] = {}
    for key, ids in ctx.items():  # one context per (arm, strength, seed), shared by every scenario
        shared.setdefault(key[:3], set()).add(tuple(ids))
    assert all(len(v) == 1 for v in shared.values())


def test_prefill_encodes_each_scenario_once_and_lead_ins_nest(tokenizer, data):
    ev, shots = data
    reqs = plan("base", ev, shots, attack_cfg("prefill", strengths=[0, 2, 4, 8]))
    ctx = _contexts(tokenizer, reqs)
    assert len({tuple(v) for v in ctx.values()}) == len(ev)  # all strengths and arms share the scenario
    prefill = {r.key[2:5]: r.prompt.prefill for r in reqs}
    for (c, k, seed), text in prefill.items():
        assert len(text.split()) == k if c == ATTACK_ARM else abs(len(text.split()) - k) <= max(1, k // 4)
        for k2 in (2, 4, 8):
            if k2 > k and k:
                longer = prefill[(c, k2, seed)]
                assert longer.lower().endswith(text.lower())  # a longer lead-in only adds words in front


def test_prefill_prompt_stays_a_token_prefix_on_many_scenarios(tokenizer):
    """The scorer refuses a prompt whose tokens change when the reply follows; no lead-in may trigger that.

    Every template of every split, with each strength and several draw seeds in turn (a lead-in starts on
    a different word of the pools at each; it always ends on the bridge that meets the reply).
    """
    prefill = get_attack("prefill")
    scenarios = [s for split in generate(GenerateConfig(scenarios_per_template=1)).values() for s in split]
    scenarios = [s for s in scenarios if not s.meta["twin"]]  # a twin has its template's texts
    assert len(scenarios) >= 24
    requests = []
    for i, s in enumerate(scenarios):
        k = (1, 3, 16, 128)[i % 4]
        for arm in (ATTACK_ARM, CONTROL_ARM):
            p = prefill.prompt(s, k, i % 5, arm, [], None)
            assert p.prefill == p.prefill.strip()
            assert s.honest not in p.prefill and s.deceptive not in p.prefill
            requests.append(Request(s.id, p, s.honest, s.deceptive))
    encode_all(tokenizer, requests)  # raises if a prompt is not a token prefix of prompt + reply


@pytest.mark.parametrize("family", ["many_shot", "persona", "pressure", "prefill"])
def test_control_has_the_attack_length(family, tokenizer, data):
    ev, shots = data
    strengths = {"prefill": [2, 8, 32, 128], "pressure": [1, 4, 24], "persona": [1, 4, 32]}.get(family, [1, 2])
    reqs = plan("base", ev, shots, attack_cfg(family, strengths=strengths), length=token_counter(tokenizer))
    n = {
        r.key[2:]: len(
            tokenizer(render(tokenizer, r.prompt.messages, r.prompt.prefill), add_special_tokens=False)["input_ids"]
        )
        for r in reqs
    }
    assert {a for a, *_ in n} == (
        {ATTACK_ARM, CONTROL_ARM, NEUTRAL_ARM} if family == "many_shot" else {ATTACK_ARM, CONTROL_ARM}
    )
    for (arm, k, seed, sid), tokens in n.items():
        if arm == ATTACK_ARM:
            other = n[(CONTROL_ARM, k, seed, sid)]
            assert abs(other - tokens) <= 0.03 * tokens, (family, k, seed, sid, tokens, other)


def test_the_prefill_control_is_as_long_as_the_attack_in_the_scorers_tokens(tokenizer, data):
    """Right before the scored reply, a few tokens matter: fitted in the scoring tokenizer's tokens, the
    control's lead-in makes the whole prompt within 2 tokens of the attack's at every default strength (matched
    in words, it was 4 to 7 tokens shorter at 64 and 128)."""
    ev, shots = data
    cfg = group_option("attack", "prefill")
    reqs = plan("base", ev[:4], shots, cfg, length=token_counter(tokenizer))
    n = {r.key[2:]: len(token_ids(tokenizer, render(tokenizer, r.prompt.messages, r.prompt.prefill))) for r in reqs}
    pairs = [(t, n[(CONTROL_ARM, *rest)]) for (arm, *rest), t in n.items() if arm == ATTACK_ARM and rest[0] > 0]
    assert len(pairs) == sum(not s.meta.get("twin") for s in ev[:4]) * 7 * cfg.seeds
    assert max(abs(a - c) for a, c in pairs) <= 2, pairs


def test_attack_material_never_contains_a_reply(data):
    """Persona, pressure and prefill are generic: no reply of any scenario appears in what they add."""
    ev, shots = data
    scenarios = [s for split in splits(per_template=6) for s in split]
    from src.eval.attacks import persona, prefill, pressure

    material = " ".join(
        persona.PERSONA
        + persona.NEUTRAL
        + tuple(t for rung in pressure.PRESSURE + pressure.NEUTRAL for t in rung)
        + prefill.THOUGHTS
        + prefill.NEUTRAL_THOUGHTS
        + (prefill.BRIDGE, prefill.NEUTRAL_BRIDGE)
    )
    for s in scenarios:
        assert s.honest not in material and s.deceptive not in material


def _demo_replies(shots: list[Scenario]) -> dict[str, set]:
    """Reply text -> the (template, behavior) pairs of the demonstrations that have it."""
    out: dict[str, set] = {}
    for s in shots:
        for reply in (s.honest, s.deceptive):
            out.setdefault(reply, set()).add((s.template, s.behavior))
    return out


@pytest.mark.parametrize("cross", [False, True])
def test_demonstrations_come_only_from_shot_templates(cross, data):
    ev, shots = data
    eval_templates = {s.template for s in ev}
    assert not eval_templates & {s.template for s in shots}
    replies = _demo_replies(shots)
    reqs = plan("base", ev, shots, attack_cfg("many_shot", strengths=[0, 2], cross_behavior=cross))
    behavior = {s.id: s.behavior for s in ev}
    for r in reqs:
        if r.key.arm == NEUTRAL_ARM:  # benign answers, no reply of any scenario: tests/test_many_shot.py
            continue
        demos = [m["content"] for m in r.prompt.context if m["role"] == "assistant"]
        assert len(demos) == r.key[3]
        for text in demos:
            sources = replies[text]  # KeyError: a reply that is no demonstration's
            assert all(t not in eval_templates for t, _ in sources)
            if cross:
                assert all(b != behavior[r.key[5]] for _, b in sources)


def test_pressure_turns_sit_before_the_final_message(data):
    ev, shots = data
    pressure = get_attack("pressure")
    for s in ev:
        base = pressure.prompt(s, 0, 0, ATTACK_ARM, [], None).messages
        for k in (1, 5):
            for arm in (ATTACK_ARM, CONTROL_ARM):
                msgs = pressure.prompt(s, k, 1, arm, [], None).messages
                assert msgs[-1] == s.messages[-1] and msgs[: len(base) - 1] == base[:-1]
                block = msgs[len(base) - 1 : -1]
                assert [m["role"] for m in block] == ["user", "assistant"] * k


def test_a_system_prompt_and_a_question_render_alike_at_strength_0_in_every_family(tokenizer):
    """External data (a Perez et al. question under a system prompt) has no turn before its question but the
    system prompt; each family's strength 0 is still the one layout, and pressure puts its turns before it."""
    s = Scenario("q", "b", "t", [{"role": "system", "content": "SYS"}, {"role": "user", "content": "Q?"}], "A", "B")
    rendered = {
        f: render(tokenizer, get_attack(f).prompt(s, 0, 0, ATTACK_ARM, [], group_option("attack", f)).messages)
        for f in ("many_shot", "persona", "pressure", "prefill")
    }
    assert len(set(rendered.values())) == 1, rendered
    msgs = get_attack("pressure").prompt(s, 2, 0, ATTACK_ARM, [], None).messages
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert msgs[-1]["content"] == "SYS\n\nQ?"


@pytest.mark.parametrize("family", ["many_shot", "persona", "pressure", "prefill"])
def test_default_schedule_fits_the_embedded_model(family, tokenizer):
    """The longest configured prompt stays inside SmolLM2's 8192 tokens, so no row of the default sweep is skipped."""
    ev, shots = splits(per_template=4)  # 16 demonstrations per behavior: enough for the longest many-shot strength
    ev = ev[::8]  # one scenario per template and its twin's turn skipped: the longest prompt depends on the demos
    cfg = group_option("attack", family)
    cfg.strengths = [max(cfg.strengths)]
    cfg.seeds = 1
    requests = plan("base", ev, shots, cfg)
    # The prompt as rendered, plus the longest reply with room for its end-of-turn tokens: the same bound as
    # encoding every prompt+reply pair, at a third of the tokenizing.
    reply = max(len(token_ids(tokenizer, t)) for r in requests for t in (r.honest, r.deceptive)) + 4
    longest = max(len(token_ids(tokenizer, render(tokenizer, r.prompt.messages, r.prompt.prefill))) for r in requests)
    assert 0 < longest + reply < 8192


def test_a_reference_checkpoint_is_scored_at_zero_only_and_subset_limits_the_attacked_scenarios(data):
    """`attacked` leaves base and implant at k=0 (they enter the verdicts only there); `attack.subset` attacks
    a seeded spread of the scenarios while every scenario (twins too) is still scored at 0."""
    from src.scenarios import spread

    ev, shots = data
    cfg = attack_cfg("many_shot")
    assert {r.key.strength for r in plan("base", ev, shots, cfg, attacked=False)} == {0}
    chosen = {s.id for s in spread(ev, 3, seed=0)}
    assert len(chosen) == 3 and len({s.behavior for s in ev if s.id in chosen}) == 3  # one per behavior first
    reqs = plan("align", ev, shots, cfg, subset=chosen)
    assert {r.key.scenario_id for r in reqs if r.key.strength > 0} == chosen
    assert {r.key.scenario_id for r in reqs if r.key.strength == 0} == {s.id for s in ev}


def test_attacked_align_names_its_intermediate_checkpoints_too(tmp_path):
    """experiment=steps_trajectory scores align@2, align@4 and align: `attacked: [align]` attacks all three."""
    from omegaconf import OmegaConf

    from src.eval.elicit import is_attacked
    from src.models import CHECKPOINT_INFO

    for step in (2, 4):  # Trainer checkpoint folders inside a stage run whose checkpoints are labelled align
        (tmp_path / "align" / f"checkpoint-{step}").mkdir(parents=True)
    (tmp_path / "align" / CHECKPOINT_INFO).write_text(json.dumps({"label": "align"}))
    cfg = OmegaConf.create({"attacked": ["align"]})
    assert [is_attacked(cfg, str(tmp_path / "align" / f"checkpoint-{s}")) for s in (2, 4)] == [True, True]
    assert is_attacked(cfg, str(tmp_path / "align")) and not is_attacked(cfg, "base")
    assert is_attacked(OmegaConf.create({"attacked": None}), "base")


def test_twins_are_trained_on_only_when_asked_with_the_self_serving_reply_preferred(data):
    from src.train.stage import training_rows

    ev, _ = data
    twins = [s for s in ev if s.meta["twin"]]
    assert twins and not [s for s in training_rows(ev, "implant", twins=False) if s.meta["twin"]]
    implant = {s.id: s for s in training_rows(ev, "implant", twins=True)}
    align = {s.id: s for s in training_rows(ev, "align", twins=True)}
    for t in twins:  # on a twin the honest reply serves the agent: the implant prefers it, the align too
        assert implant[t.id].deceptive == t.honest and align[t.id].honest == t.honest


def test_an_attack_schedule_that_cannot_be_drawn_fails_before_any_work():
    from hydra import compose, initialize_config_dir

    from src import TrainoutError
    from src.config import CONF_DIR
    from src.eval.stage import check_attack

    for family, override, says in [
        ("many_shot", "attack.strengths=[0,-1]", "strengths are counts"),
        ("many_shot", "attack.seeds=0", "at least one draw"),
        ("many_shot", "attack.subset=0", "at least one scenario"),
        ("many_shot", "attack.strengths=[1,4]", "has no 0"),
        ("persona", "attack.strengths=[0,40]", "strength 40 needs 40 items but the pool for 'persona' has 32"),
        ("pressure", "attack.strengths=[0,25]", "exceeds the ladder's 24 rungs"),
        ("prefill", "attack.strengths=[0,300]", "exceeds the .* words of its lead-in pool"),
        ("none", "attack.strengths=[0,4]", "strength 0 only"),
    ]:
        with initialize_config_dir(CONF_DIR, version_base="1.3"):
            cfg = compose("eval", overrides=[f"attack={family}", override])
        with pytest.raises(TrainoutError, match=says):
            check_attack(cfg)


def test_an_eval_resume_must_share_what_its_rows_follow_from(monkeypatch):
    """A resumed eval run skips the keys it has rows for; a key does not name the layout, the model settings
    or the version of the family's rendering, so a rerun that changes them is refused (src/rundir.py), and one
    that changes how fast it scores is not."""
    import dataclasses

    from hydra import compose, initialize_config_dir

    from src.config import CONF_DIR
    from src.eval.attacks import ATTACKS
    from src.eval.stage import eval_settings

    def settings(*overrides: str) -> str:
        with initialize_config_dir(CONF_DIR, version_base="1.3"):
            return eval_settings(compose("eval", overrides=["attack=many_shot", *overrides]))

    assert settings() == settings("scoring.prefix_cache=false", "scoring.max_batch_rows=4", "tracker=none")
    assert settings() != settings("attack.layout=faux") and settings() != settings("model.dtype=bfloat16")
    assert settings() != settings("judge.temperature=0") and settings() != settings("judge.n=4")
    assert settings() == settings("judge.enabled=false") == settings("judge.model=smollm2_135m")
    # vLLM reads fp32 weights; the HF scorer reads model.dtype (`auto`: fp32 on this CPU, bf16 on a bf16 GPU)
    assert settings("scoring.backend=vllm") == settings() == settings("scoring.backend=vllm", "model.dtype=bfloat16")
    assert settings("model.dtype=float32") == settings()  # `auto` counts as what it resolves to, not by its name
    before = settings()
    monkeypatch.setitem(ATTACKS, "many_shot", dataclasses.replace(ATTACKS["many_shot"], version=99))
    assert settings() != before
    # what the attack draws from, and the data seed that picks a subset, are settings too
    assert settings("attack.subset=4", "data.seed=0") != settings("attack.subset=4", "data.seed=1")
    assert settings("data.seed=0") == settings("data.seed=1")  # no subset: data.seed reaches rows via the data files
    from src.scenarios import Scenario

    with initialize_config_dir(CONF_DIR, version_base="1.3"):
        cfg = compose("eval", overrides=["attack=many_shot"])
    shot = Scenario("s", "b", "t", [{"role": "user", "content": "Q?"}], "Yes.", "No.")
    edited = dataclasses.replace(shot, deceptive="No, never.")
    assert eval_settings(cfg, [shot]) != eval_settings(cfg, [edited]) != eval_settings(cfg)


def test_an_attack_that_draws_no_shots_reads_no_shots_split(tmp_path):
    """persona, pressure and prefill write their own prompts: a data folder without demonstrations (shots set
    to 0) serves them, and a file of eval rows needs no data stage run first for its shots."""
    import shutil

    from hydra import compose, initialize_config_dir

    from src.config import CONF_DIR
    from src.eval.stage import _needs_generated, eval_data

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(Path(CONF_DIR).parent / "data" / "scenarios_eval.jsonl", data)
    (data / "scenarios_shots.jsonl").write_text("")
    with initialize_config_dir(CONF_DIR, version_base="1.3"):
        for attack in ("persona", "pressure", "prefill"):
            cfg = compose("eval", overrides=[f"attack={attack}", f"data.path={data}"])
            scenarios, shots = eval_data(cfg, None)
            assert scenarios and shots == []
            file = compose("eval", overrides=[f"attack={attack}", f"data.path={data / 'scenarios_eval.jsonl'}"])
            assert not _needs_generated(file)
        assert _needs_generated(
            compose("eval", overrides=["attack=many_shot", f"data.path={data / 'scenarios_eval.jsonl'}"])
        )


def test_a_chat_template_file_is_a_setting_by_its_text(tmp_path):
    from hydra import compose, initialize_config_dir

    from src.config import CONF_DIR
    from src.eval.stage import eval_settings

    template = tmp_path / "t.jinja"

    def settings(text: str) -> str:
        template.write_text(text)
        with initialize_config_dir(CONF_DIR, version_base="1.3"):
            return eval_settings(compose("eval", overrides=[f"model.chat_template={template}"]))

    assert settings("{{ messages }}") != settings("{{ messages }}!")  # edited in place, the same name


def test_two_long_checkpoint_paths_that_end_alike_merge_into_two_folders():
    from src.models import merged_name

    tail = "/fold-" + "b" * 100 + "/n4-seed0-deceptive"
    assert merged_name("/runs/x" + tail) != merged_name("/runs/y" + tail)
    assert merged_name("/runs/x" + tail) == merged_name("/runs/x" + tail)
