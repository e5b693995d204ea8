"""The statistics engine against independent computations (scipy, numpy, hand arithmetic) and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy import stats as sps

from missionos.errors import FieldError
from missionos.experiments import stats
from missionos.experiments.stats import VariationStats


def _suff(name: str, x: np.ndarray, y: np.ndarray | None = None) -> VariationStats:
    extra = {}
    if y is not None:
        extra = {
            "covariate_sum": float(y.sum()),
            "covariate_sum_squares": float((y * y).sum()),
            "cross_sum": float((x * y).sum()),
        }
    return VariationStats(name, len(x), float(x.sum()), float((x * x).sum()), **extra)


def _samples(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(10.0, 3.0, 800), rng.normal(10.6, 3.5, 650)


def test_welch_absolute_matches_scipy_ttest() -> None:
    a, b = _samples()
    [result] = stats.compare("mean", [_suff("control", a), _suff("treatment", b)], cuped=False)
    expected = sps.ttest_ind(b, a, equal_var=False)
    ci = expected.confidence_interval(0.95)
    assert result.absolute.effect == pytest.approx(b.mean() - a.mean(), rel=1e-12)
    assert result.absolute.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert result.absolute.ci == pytest.approx((ci.low, ci.high), rel=1e-9)


def test_relative_lift_by_the_delta_method_by_hand() -> None:
    a, b = _samples(2)
    [result] = stats.compare("mean", [_suff("control", a), _suff("treatment", b)], cuped=False)
    ma, mb, va, vb = a.mean(), b.mean(), a.var(ddof=1), b.var(ddof=1)
    se = math.sqrt(vb / (len(b) * ma**2) + mb**2 * va / (len(a) * ma**4))
    dof = (va / len(a) + vb / len(b)) ** 2 / (
        (va / len(a)) ** 2 / (len(a) - 1) + (vb / len(b)) ** 2 / (len(b) - 1)
    )
    t = sps.t.ppf(0.975, dof)
    assert result.relative.effect == pytest.approx(mb / ma - 1, rel=1e-12)
    assert result.relative.ci == pytest.approx((mb / ma - 1 - t * se, mb / ma - 1 + t * se), rel=1e-9)
    assert result.relative.p_value == pytest.approx(2 * sps.t.sf(abs((mb / ma - 1) / se), dof), rel=1e-9)


def test_proportion_uses_p_times_one_minus_p() -> None:
    control = VariationStats("control", 5000, 500, 500)
    treatment = VariationStats("treatment", 5000, 560, 560)
    [result] = stats.compare("proportion", [control, treatment])
    se = math.sqrt(0.1 * 0.9 / 5000 + 0.112 * 0.888 / 5000)
    assert result.absolute.effect == pytest.approx(0.012)
    assert result.absolute.se == pytest.approx(se)
    # With ~10,000 degrees of freedom Welch's t is the z-test to 3 decimals of the p-value.
    assert result.absolute.p_value == pytest.approx(2 * sps.norm.sf(0.012 / se), abs=2e-4)


def test_bayesian_chance_to_win_and_risk_by_integration() -> None:
    a, b = _samples(3)
    [result] = stats.compare(
        "mean", [_suff("control", a), _suff("treatment", b)], method="bayesian", cuped=False
    )
    mu, sigma = result.relative.effect, result.relative.se
    assert result.chance_to_win == pytest.approx(sps.norm.sf(0, mu, sigma), rel=1e-9)
    loss_treatment, _ = integrate.quad(lambda x: -x * sps.norm.pdf(x, mu, sigma), -np.inf, 0)
    loss_control, _ = integrate.quad(lambda x: x * sps.norm.pdf(x, mu, sigma), 0, np.inf)
    assert result.risk == pytest.approx(loss_treatment, rel=1e-6, abs=1e-12)
    assert result.risk_control == pytest.approx(loss_control, rel=1e-6)
    assert result.as_dict()["chance_to_win"] == result.chance_to_win


def test_sequential_interval_is_the_confidence_sequence_formula() -> None:
    a, b = _samples(4)
    [seq] = stats.compare("mean", [_suff("c", a), _suff("t", b)], method="sequential", cuped=False)
    [fixed] = stats.compare("mean", [_suff("c", a), _suff("t", b)], cuped=False)
    n, alpha, tau = len(a) + len(b), 0.05, 5000
    rho2 = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tau
    s2 = seq.absolute.se**2 * n
    half = math.sqrt(s2 * 2 * (n * rho2 + 1) / (n**2 * rho2) * math.log(math.sqrt(n * rho2 + 1) / alpha))
    assert seq.absolute.ci == pytest.approx((seq.absolute.effect - half, seq.absolute.effect + half))
    assert seq.absolute.ci[1] - seq.absolute.ci[0] > fixed.absolute.ci[1] - fixed.absolute.ci[0]
    # The sequential p-value is 1 / the e-value at the design's ρ: below α exactly when the interval at α
    # excludes 0, and so on either side of α as the effect is scaled across the interval's edge.
    p = seq.absolute.p_value
    assert p is not None and 0 < p < 1
    assert (p < alpha) == (seq.absolute.ci[0] > 0 or seq.absolute.ci[1] < 0)
    se = seq.absolute.se
    for scale in (0.999, 1.001):
        effect = half * scale
        assert (stats.sequential_p_value(effect, se, n, alpha, tau) < alpha) == (scale > 1)


def test_cuped_theta_and_adjusted_effect_match_regression_adjustment() -> None:
    rng = np.random.default_rng(5)
    pre_a, pre_b = rng.normal(20, 5, 1000), rng.normal(20, 5, 1000)
    a = 0.8 * pre_a + rng.normal(0, 2, 1000)
    b = 0.8 * pre_b + rng.normal(0.5, 2, 1000)
    variations = [_suff("c", a, pre_a), _suff("t", b, pre_b)]
    x, y = np.concatenate([a, b]), np.concatenate([pre_a, pre_b])
    theta = np.cov(x, y, ddof=1)[0, 1] / np.var(y, ddof=1)
    assert stats.cuped_theta(variations) == pytest.approx(theta, rel=1e-9)
    adj_a, adj_b = a - theta * (pre_a - y.mean()), b - theta * (pre_b - y.mean())
    [cuped] = stats.compare("mean", variations, cuped=True)
    [plain] = stats.compare("mean", variations, cuped=False)
    assert cuped.absolute.effect == pytest.approx(adj_b.mean() - adj_a.mean(), rel=1e-9)
    assert cuped.absolute.se == pytest.approx(
        math.sqrt(adj_a.var(ddof=1) / 1000 + adj_b.var(ddof=1) / 1000), rel=1e-9
    )
    assert cuped.absolute.se < plain.absolute.se / 2  # strongly correlated covariate: far tighter


def test_ratio_metric_delta_method_by_hand() -> None:
    rng = np.random.default_rng(6)
    den_a, den_b = rng.poisson(5, 900) + 1.0, rng.poisson(5, 900) + 1.0
    num_a, num_b = rng.binomial(den_a.astype(int), 0.3) * 1.0, rng.binomial(den_b.astype(int), 0.33) * 1.0

    def v(name: str, x: np.ndarray, d: np.ndarray) -> VariationStats:
        return VariationStats(
            name,
            len(x),
            float(x.sum()),
            float((x * x).sum()),
            denominator_sum=float(d.sum()),
            denominator_sum_squares=float((d * d).sum()),
            denominator_cross_sum=float((x * d).sum()),
        )

    [result] = stats.compare("ratio", [v("c", num_a, den_a), v("t", num_b, den_b)])

    def ratio_var(x: np.ndarray, d: np.ndarray) -> float:
        r = x.mean() / d.mean()
        cov = np.cov(x, d, ddof=1)
        return float((cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1]) / d.mean() ** 2)

    ra, rb = num_a.sum() / den_a.sum(), num_b.sum() / den_b.sum()
    se = math.sqrt(ratio_var(num_a, den_a) / 900 + ratio_var(num_b, den_b) / 900)
    assert result.absolute.effect == pytest.approx(rb - ra, rel=1e-12)
    assert result.absolute.se == pytest.approx(se, rel=1e-9)


def test_srm_matches_scipy_chisquare() -> None:
    result = stats.srm([5498, 4763], [0.5, 0.5])
    expected = sps.chisquare([5498, 4763], [10261 / 2, 10261 / 2])
    assert result.chi2 == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.mismatch
    assert not stats.srm([5020, 4980], [50, 50]).mismatch
    three = stats.srm([100, 210, 690], [0.1, 0.2, 0.7])
    assert three.p_value == pytest.approx(sps.chisquare([100, 210, 690], [100, 200, 700]).pvalue)


def test_corrections_by_hand() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    assert stats.holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.benjamini_hochberg(p) == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_power_by_hand_and_unequal_splits_cost_more() -> None:
    result = stats.sample_size(0.10, 0.10)
    z = sps.norm.ppf(0.975) + sps.norm.ppf(0.8)
    # The relative-lift test: Var = σt²/(n·b²) + t²·σc²/(n·b⁴), with b = 0.10 and t = 0.11.
    var_t, var_c = 0.11 * 0.89 / 0.1**2, 0.11**2 * 0.1 * 0.9 / 0.1**4
    per_arm = math.ceil(z**2 * (var_c + var_t) / 0.1**2)
    assert result.per_arm == (per_arm, per_arm)
    assert per_arm == 16_232  # 7.849 × (10.89 + 9.79) / 0.01
    skewed = stats.sample_size(0.10, 0.10, weights=[95, 5], daily_traffic=1000)
    # Var ∝ σc'²/0.95 + σt'²/0.05 against σc'²/0.5 + σt'²/0.5.
    expected_cost = (var_c / 0.95 + var_t / 0.05) / (var_c / 0.5 + var_t / 0.5)
    assert skewed.cost_vs_equal_split == pytest.approx(expected_cost, rel=1e-3)
    assert skewed.cost_vs_equal_split > 5
    assert skewed.days == math.ceil(skewed.total / 1000)
    mean = stats.sample_size(50.0, 0.02, sd=10.0)
    rel_var = 100 / 50**2 + 51**2 * 100 / 50**4
    assert mean.per_arm[0] == math.ceil(z**2 * rel_var / 0.02**2)


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (
            {"metric": {"type": "mean"}, "variations": [{"n": -5, "sum": 1, "sum_squares": 1}] * 2},
            "variations[0].n",
        ),
        ({"metric": {"type": "median"}, "variations": []}, "metric.type"),
        (
            {"metric": {"type": "mean"}, "variations": [{"name": "c", "n": 10, "sum": 1, "sum_squares": 1}]},
            "variations",
        ),
        (
            {
                "metric": {"type": "proportion"},
                "variations": [
                    {"name": "c", "n": 10, "sum": 12, "sum_squares": 12},
                    {"name": "t", "n": 10, "sum": 1, "sum_squares": 1},
                ],
            },
            "variations[0].sum",
        ),
        (
            {
                "metric": {"type": "mean"},
                "variations": [
                    {"name": "c", "n": 10, "sum": "x", "sum_squares": 1},
                    {"name": "t", "n": 10, "sum": 1, "sum_squares": 1},
                ],
            },
            "variations[0].sum",
        ),
    ],
)
def test_bad_sufficient_statistics_name_the_field(doc: dict[str, object], field: str) -> None:
    with pytest.raises(FieldError) as info:
        stats.parse_stats_document(doc)
    assert info.value.field == field


def test_mismatched_weights_are_refused() -> None:
    with pytest.raises(FieldError, match="3 weights"):
        stats.srm([10, 10, 10], [0.5, 0.5])
    with pytest.raises(FieldError, match="positive"):
        stats.check_weights([1, -1], 2)


@pytest.mark.parametrize(
    ("ci", "direction", "mme", "harmed", "planned", "observed", "status"),
    [
        ((0.02, 0.08), "higher", 0.01, [], None, 1000, "validated"),
        ((0.02, 0.08), "higher", 0.01, ["support-call"], None, 1000, "inconclusive"),
        ((-0.08, -0.02), "higher", 0.01, [], None, 1000, "invalidated"),
        ((-0.08, -0.02), "lower", 0.01, [], None, 1000, "validated"),
        ((-0.01, 0.004), "higher", 0.01, [], None, 1000, "invalidated"),  # entirely below the MME
        ((-0.02, 0.05), "higher", 0.01, [], None, 1000, "inconclusive"),
        ((-0.02, 0.05), "higher", 0.01, [], 5000, 1000, "too early"),
    ],
)
def test_verdict_rules(
    ci: tuple[float, float],
    direction: str,
    mme: float,
    harmed: list[str],
    planned: int | None,
    observed: int,
    status: str,
) -> None:
    est = stats.Estimate((ci[0] + ci[1]) / 2, ci, 0.01, 0.01)
    primary = stats.Comparison("t", 1.0, 1.0, est, est)
    verdict = stats.decide(
        srm_result=stats.srm([500, 500], [1, 1]),
        primary=primary,
        direction=direction,
        mme=mme,
        guardrails_harmed=harmed,
        planned_sample=planned,
        observed_sample=observed,
    )
    assert verdict.status == status


def test_srm_makes_the_verdict_invalid_whatever_the_results() -> None:
    est = stats.Estimate(0.05, (0.02, 0.08), 0.001, 0.01)
    verdict = stats.decide(
        srm_result=stats.srm([5498, 4763], [1, 1]),
        primary=stats.Comparison("t", 1, 1, est, est),
        direction="higher",
        mme=0.0,
        guardrails_harmed=[],
        planned_sample=None,
        observed_sample=10261,
    )
    assert verdict.status == "invalid" and "sample-ratio mismatch" in verdict.reason


samples = st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=3, max_size=40)


@settings(max_examples=60, deadline=None)
@given(a=samples, b=samples, scale=st.floats(0.1, 100))
def test_properties_of_the_welch_comparison(a: list[float], b: list[float], scale: float) -> None:
    xa, xb = np.array(a) + 5000, np.array(b) + 5000  # keep the control mean away from zero
    # From sums and sums of squares (what a warehouse returns, as in gbstats), a variance below about 1e-7 of
    # the squared mean is lost to rounding; such samples carry no variance these properties could check.
    assume(max(xa.var(), xb.var()) > 1e-7 * 5000**2)
    [r] = stats.compare("mean", [_suff("c", xa), _suff("t", xb)], cuped=False)
    assert 0 <= (r.absolute.p_value or 0) <= 1
    assert r.absolute.ci[0] <= r.absolute.effect <= r.absolute.ci[1]
    # Swapping the arms negates the difference and keeps its p-value.
    [s] = stats.compare("mean", [_suff("c", xb), _suff("t", xa)], cuped=False)
    assert s.absolute.effect == pytest.approx(-r.absolute.effect, abs=1e-6)
    assert s.absolute.p_value == pytest.approx(r.absolute.p_value, abs=1e-6)
    # Rescaling the data rescales the effect and leaves the p-value alone.
    [t] = stats.compare("mean", [_suff("c", xa * scale), _suff("t", xb * scale)], cuped=False)
    assert t.absolute.effect == pytest.approx(r.absolute.effect * scale, rel=1e-6, abs=1e-6)
    assert t.absolute.p_value == pytest.approx(r.absolute.p_value, abs=1e-6)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=12))
def test_properties_of_corrections(p: list[float]) -> None:
    for adjusted in (stats.holm(p), stats.benjamini_hochberg(p)):
        assert all(a >= raw - 1e-12 and a <= 1 for a, raw in zip(adjusted, p, strict=True))
        order = sorted(range(len(p)), key=lambda i: p[i])
        assert all(adjusted[order[i]] <= adjusted[order[i + 1]] + 1e-12 for i in range(len(p) - 1))
    assert all(h >= b - 1e-12 for h, b in zip(stats.holm(p), stats.benjamini_hochberg(p), strict=True))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 10_000), k=st.integers(2, 5))
def test_srm_of_exact_proportions_is_clean(n: int, k: int) -> None:
    assert stats.srm([n] * k, [1] * k).p_value == pytest.approx(1.0)
