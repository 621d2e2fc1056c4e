"""Curve statistics: the template-level bootstrap, k50, the power-law fit and verdicts, on synthetic rows."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from src.eval.summary import crossing, fit_power_law, paired_difference, summarize, verdict


def rows(p_of, templates=6, scenarios=5, seeds=2, strengths=(0, 1, 2, 4, 8, 16), checkpoint="c", noise=0.0, rng=None):
    """Synthetic elicitation rows; p_of(template index, strength) gives each template's p."""
    rng = rng or random.Random(0)
    out = []
    for t in range(templates):
        for s in range(scenarios):
            for k in strengths:
                for seed in range(seeds if k else 1):
                    p = min(max(p_of(t, k) + rng.uniform(-noise, noise), 1e-6), 1 - 1e-6)
                    lh = -10.0
                    ld = lh + math.log(p / (1 - p))
                    out.append(
                        {
                            "checkpoint": checkpoint,
                            "behavior": f"b{t % 2}",
                            "attack": "many_shot",
                            "control": False,
                            "strength": k,
                            "seed": seed,
                            "scenario_id": f"t{t}-{s}",
                            "template": f"t{t}",
                            "p_behavior": p,
                            "p_behavior_norm": p,
                            "logp_deceptive": ld,
                            "logp_honest": lh,
                            "nll_deceptive": -ld,
                            "prompt_tokens": 100 + 50 * k,
                        }
                    )
    return out


def test_ci_resamples_templates_not_rows():
    # All-or-nothing per template: half the templates flip. A row bootstrap would give a tiny interval.
    r = rows(lambda t, k: 0.95 if t % 2 else 0.02, templates=8, scenarios=10)
    s = next(x for x in summarize(r, n_boot=500) if x["behavior"] == "all")
    lo, hi = s["p@0_ci"]
    assert lo < 0.35 and hi > 0.6  # the spread of template means, not of 80 near-identical rows
    per_row = np.array([x["p_behavior"] for x in r if x["strength"] == 0])
    row_se = per_row.std() / math.sqrt(len(per_row))
    assert (hi - lo) > 3 * 1.96 * row_se


def test_crossing_interpolates_in_log_k():
    assert crossing([0, 1, 4], np.array([0.1, 0.2, 0.8]), 0.5) == pytest.approx(2.0)
    assert crossing([0, 2], np.array([0.0, 1.0]), 0.5) == pytest.approx(1.0)
    assert crossing([0, 1, 4], np.array([0.1, 0.2, 0.3]), 0.5) is None


def test_power_law_fit_recovers_parameters():
    ks = [0, 1, 2, 4, 8, 16, 32]
    nll = np.array([np.nan] + [3.0 * k**-0.6 + 0.5 for k in ks[1:]])
    f = fit_power_law(ks, nll)
    assert f["form"] == "power+const"
    assert f["alpha"] == pytest.approx(0.6, abs=1e-3) and f["K"] == pytest.approx(0.5, abs=1e-3)
    assert f["r2"] > 0.999


def test_verdicts():
    ks = [0, 1, 4, 16]
    assert verdict(ks, np.array([0.1, 0.2, 0.3, 0.4]), 0.5) == ("removed", None)
    assert verdict(ks, np.array([0.1, 0.2, 0.6, 0.9]), 0.5)[0] == "suppressed"
    assert verdict(ks, np.array([0.7, 0.8, 0.9, 0.9]), 0.5) == ("present", 0.0)


def test_summary_reports_suppression_and_k50():
    r = rows(lambda t, k: min(0.05 + 0.1 * k, 0.95), noise=0.02)
    s = next(x for x in summarize(r, n_boot=300) if x["behavior"] == "all")
    assert s["verdict"] == "suppressed" and 4 <= s["crossed_at"] <= 8
    assert s["first_strength_over"] == 8  # the first strength tried whose mean p is over the threshold
    assert s["k50"] == pytest.approx(s["crossed_at"])
    assert s["per_strength"][0]["p_ci"][0] <= s["p@0"] <= s["per_strength"][0]["p_ci"][1]


def test_paired_difference_sees_a_small_consistent_shift():
    a = rows(lambda t, k: 0.2 + 0.1 * t, checkpoint="a")
    b = rows(lambda t, k: 0.25 + 0.1 * t, checkpoint="b")
    d = paired_difference(a, b, 0, n_boot=300)
    assert d["diff"] == pytest.approx(0.05, abs=1e-6)
    assert d["ci"][0] > 0  # paired: template spread cancels; unpaired intervals would straddle 0


@pytest.mark.parametrize("control_rises", [True, False])
def test_report_says_when_the_control_crosses_too(tmp_path, control_rises):
    from src.eval.report import write_report

    attack = rows(lambda t, k: min(0.05 + 0.1 * k, 0.95))
    control = [{**r, "control": True} for r in rows(lambda t, k: min(0.05 + 0.1 * k, 0.95) if control_rises else 0.05)]
    summaries = summarize(attack + control, n_boot=50)
    text = write_report(tmp_path / "report.md", summaries, [], [], [], {}).read_text()
    assert "| b0 | suppressed at 8" in text
    assert ("suppressed at 8, control too" in text) == control_rises
