"""Our statistics conventions checked against GrowthBook's own engine (gbstats) where a choice had to be made.

The sequential p-value, the CUPED relative lift's denominator, θ in a three-arm test, the proper prior and the
inverse (lower-is-better) chance to win all follow gbstats; these tests hold our figures to its figures.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig, GaussianPrior
from gbstats.frequentist.tests import (
    FrequentistConfig,
    SequentialConfig,
    SequentialTwoSidedTTest,
    TwoSidedTTest,
)
from gbstats.models.statistics import (
    ProportionStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
    compute_theta,
)
from scipy import stats as sps

from missionos.experiments import stats
from missionos.experiments.stats import VariationStats


def _ours(name: str, x: np.ndarray, y: np.ndarray | None = None) -> VariationStats:
    extra = {}
    if y is not None:
        extra = {
            "covariate_sum": float(y.sum()),
            "covariate_sum_squares": float((y * y).sum()),
            "cross_sum": float((x * y).sum()),
        }
    return VariationStats(name, len(x), float(x.sum()), float((x * x).sum()), **extra)


def _theirs(x: np.ndarray) -> SampleMeanStatistic:
    return SampleMeanStatistic(n=len(x), sum=float(x.sum()), sum_squares=float((x * x).sum()))


def _adjusted(x: np.ndarray, y: np.ndarray) -> RegressionAdjustedStatistic:
    return RegressionAdjustedStatistic(
        n=len(x),
        post_statistic=_theirs(x),
        pre_statistic=_theirs(y),
        post_pre_sum_of_products=float((x * y).sum()),
        theta=0,
    )


def _with_theta(
    a: RegressionAdjustedStatistic, b: RegressionAdjustedStatistic
) -> tuple[RegressionAdjustedStatistic, RegressionAdjustedStatistic]:
    theta = compute_theta(a, b)
    return (
        RegressionAdjustedStatistic(
            n=a.n,
            post_statistic=a.post_statistic,
            pre_statistic=a.pre_statistic,
            post_pre_sum_of_products=a.post_pre_sum_of_products,
            theta=theta,
        ),
        RegressionAdjustedStatistic(
            n=b.n,
            post_statistic=b.post_statistic,
            pre_statistic=b.pre_statistic,
            post_pre_sum_of_products=b.post_pre_sum_of_products,
            theta=theta,
        ),
    )


# --- the sequential p-value --------------------------------------------------------------------------------


def _inverted_p(effect: float, se: float, n: int) -> float:
    """The previous convention, kept here to show the difference: the smallest α whose sequence excludes 0."""
    lo, hi = math.log(1e-300), math.log(1 - 1e-12)

    def gap(log_a: float) -> float:
        return stats.sequential_halfwidth(se, n, math.exp(log_a)) - abs(effect)

    if gap(hi) >= 0:
        return 1.0
    from scipy import optimize

    return math.exp(optimize.brentq(gap, lo, hi, xtol=1e-12))


@pytest.mark.parametrize("shift", [0.05, 0.15, 0.25, 0.4])
def test_the_sequential_p_value_and_interval_are_gbstats(shift: float) -> None:
    rng = np.random.default_rng(11)
    a, b = rng.normal(10.0, 3.0, 3000), rng.normal(10.0 + shift, 3.0, 3000)
    for relative in (True, False):
        [ours] = stats.compare("mean", [_ours("c", a), _ours("t", b)], method="sequential", cuped=False)
        estimate = ours.relative if relative else ours.absolute
        config = SequentialConfig(difference_type="relative" if relative else "absolute")
        theirs = SequentialTwoSidedTTest(_theirs(a), _theirs(b), config).compute_result()
        assert estimate.effect == pytest.approx(theirs.expected, rel=1e-9)
        assert estimate.ci == pytest.approx(tuple(theirs.ci), rel=1e-9)
        assert estimate.p_value == pytest.approx(theirs.p_value, rel=1e-9, abs=1e-15)


def test_the_old_sequential_p_value_was_far_from_gbstats() -> None:
    """Same interval, different p-values: the worst gap over a range of effects was large."""
    n, se = 6000, 0.08
    gaps = []
    for effect in np.linspace(0.0, 0.6, 61):
        ours = stats.sequential_p_value(effect, se, n, 0.05, stats.SEQUENTIAL_TUNING)
        gaps.append(abs(_inverted_p(effect, se, n) - ours))
    assert max(gaps) > 0.2


# --- CUPED: the relative lift's denominator and θ with three arms ------------------------------------------


def _cuped_arms(seed: int, lifts: tuple[float, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    arms = []
    for i, lift in enumerate(lifts):
        pre = rng.normal(20 + 2 * i, 5, 2000)  # unequal pre-period means make the conventions differ
        post = (0.7 + 0.1 * i) * pre + rng.normal(6 + lift, 3, 2000)
        arms.append((post, pre))
    return arms


def test_the_cuped_relative_lift_divides_by_the_controls_observed_mean() -> None:
    (a, pa), (b, pb) = _cuped_arms(21, (0.0, 0.8))
    [ours] = stats.compare("mean", [_ours("c", a, pa), _ours("t", b, pb)])
    sa, sb = _with_theta(_adjusted(a, pa), _adjusted(b, pb))
    rel = TwoSidedTTest(sa, sb, FrequentistConfig(difference_type="relative")).compute_result()
    absolute = TwoSidedTTest(sa, sb, FrequentistConfig(difference_type="absolute")).compute_result()
    assert ours.relative.effect == pytest.approx(rel.expected, rel=1e-9)
    assert ours.relative.ci == pytest.approx(tuple(rel.ci), rel=1e-9)
    assert ours.relative.p_value == pytest.approx(rel.p_value, rel=1e-6)
    assert ours.absolute.effect == pytest.approx(absolute.expected, rel=1e-9)
    assert ours.control_mean == pytest.approx(a.mean())


def test_three_arms_pool_theta_per_comparison_as_gbstats() -> None:
    arms = _cuped_arms(22, (0.0, 0.5, -0.4))
    ours = stats.compare("mean", [_ours(f"v{i}", x, y) for i, (x, y) in enumerate(arms)])
    (a, pa) = arms[0]
    for comparison, (b, pb) in zip(ours, arms[1:], strict=True):
        sa, sb = _with_theta(_adjusted(a, pa), _adjusted(b, pb))
        theirs = TwoSidedTTest(sa, sb, FrequentistConfig(difference_type="relative")).compute_result()
        assert comparison.relative.effect == pytest.approx(theirs.expected, rel=1e-9)
        assert comparison.relative.ci == pytest.approx(tuple(theirs.ci), rel=1e-9)
    # Adding the third arm changes nothing in the first comparison.
    [alone] = stats.compare("mean", [_ours("v0", *arms[0]), _ours("v1", *arms[1])])
    assert alone.relative.ci == pytest.approx(ours[0].relative.ci, rel=1e-12)


# --- the Bayesian model: a proper prior, and the direction -------------------------------------------------


@pytest.mark.parametrize(("mean", "variance"), [(0.0, 0.09), (0.05, 0.01), (-0.1, 0.3)])
def test_a_proper_prior_gives_gbstats_posterior(mean: float, variance: float) -> None:
    control, treatment = VariationStats("c", 1500, 300, 300), VariationStats("t", 1500, 345, 345)
    [ours] = stats.compare("proportion", [control, treatment], method="bayesian", prior=(mean, variance))
    config = EffectBayesianConfig(prior_effect=GaussianPrior(mean=mean, variance=variance, proper=True))
    theirs = EffectBayesianABTest(
        ProportionStatistic(n=1500, sum=300), ProportionStatistic(n=1500, sum=345), config
    ).compute_result()
    assert ours.relative.effect == pytest.approx(theirs.expected, rel=1e-9)
    assert ours.relative.ci == pytest.approx(tuple(theirs.ci), rel=1e-9)
    assert ours.chance_to_win == pytest.approx(theirs.chance_to_win, rel=1e-9)
    # gbstats lists [risk of keeping control, risk of shipping the variation].
    assert (ours.risk_control, ours.risk) == pytest.approx(tuple(theirs.risk), rel=1e-6)
    [flat] = stats.compare("proportion", [control, treatment], method="bayesian")
    assert abs(ours.relative.effect - mean) < abs(flat.relative.effect - mean)  # shrunk toward the prior


def test_a_lower_is_better_chance_to_win_is_gbstats_inverse() -> None:
    control, treatment = VariationStats("c", 400, 80, 80), VariationStats("t", 400, 70, 70)
    [ours] = stats.compare("proportion", [control, treatment], method="bayesian", direction="lower")
    theirs = EffectBayesianABTest(
        ProportionStatistic(n=400, sum=80),
        ProportionStatistic(n=400, sum=70),
        EffectBayesianConfig(inverse=True),
    ).compute_result()
    assert ours.chance_to_win == pytest.approx(theirs.chance_to_win, rel=1e-9)
    assert ours.chance_to_win > 0.8


# --- power for the relative-lift test ----------------------------------------------------------------------


def _relative_power(baseline: float, mde: float, per_arm: int, alpha: float = 0.05) -> float:
    """The power of the two-sided relative-lift z-test (the verdict's test) with `per_arm` units an arm."""
    target = baseline * (1 + mde)
    se = math.sqrt(
        target * (1 - target) / (per_arm * baseline**2)
        + target**2 * baseline * (1 - baseline) / (per_arm * baseline**4)
    )
    z = sps.norm.ppf(1 - alpha / 2)
    return float(sps.norm.sf(z - abs(mde) / se) + sps.norm.cdf(-z - abs(mde) / se))


def test_power_is_planned_for_the_relative_lift_test() -> None:
    plan = stats.sample_size(0.1, 0.05, alpha=0.05, power=0.8)
    assert _relative_power(0.1, 0.05, plan.per_arm[0]) == pytest.approx(0.8, abs=0.001)
    assert _relative_power(0.1, 0.05, plan.per_arm[0]) >= 0.8
    # The earlier plan, 57,760 an arm for the absolute difference, fell short for the relative test.
    assert plan.per_arm[0] > 57_760
    assert _relative_power(0.1, 0.05, 57_760) < 0.79
