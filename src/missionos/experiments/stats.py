"""The statistics engine: pure functions on per-variation sufficient statistics (metrics.md §3).

Nothing here touches a database. Inputs are `VariationStats` (n, Σx, Σx² and, where used, the CUPED
covariate's and a ratio metric's denominator's sums); outputs are plain dataclasses the CLI prints as JSON.

Choices where metrics.md leaves one open (also in docs/experiments.md):
- a proportion's per-unit variance is p(1 − p); a mean's is the sample variance (n − 1 denominator);
- the relative lift's standard error comes from the delta method, with the Welch–Satterthwaite degrees of
  freedom of the absolute difference;
- the sequential interval is the asymptotic confidence sequence of Waudby-Smith et al. with the
  normal-mixture boundary (tuning parameter 5000); its p-value is 1 / the e-value with ρ tuned at the
  design's α (as gbstats), below α exactly when the interval excludes 0;
- the relative lift divides the (CUPED-adjusted) difference by the control's observed mean (as gbstats);
- the Bayesian model is a Gaussian on the relative lift, with a flat prior or a proper Gaussian one;
  `chance_to_win` is the chance the variation is better in the metric's direction (a lift below 0 wins for a
  lower-is-better metric); `risk` is the expected relative loss of shipping the variation, `risk_control`
  that of keeping the control, both in that direction;
- CUPED's θ is pooled over the two arms of each comparison (the control and that variation, as gbstats), so
  adding an arm does not change another arm's result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scipy import stats as sps

from missionos.errors import FieldError

METRIC_TYPES = ("mean", "proportion", "ratio")
METHODS = ("frequentist", "sequential", "bayesian")
DIRECTIONS = ("higher", "lower")
SEQUENTIAL_TUNING = 5000.0
SRM_THRESHOLD = 0.001


@dataclass(frozen=True)
class VariationStats:
    """Sufficient statistics of one variation for one metric.

    `covariate_*` are the CUPED pre-period covariate's Σy, Σy² and Σxy; `denominator_*` a ratio metric's
    denominator's Σd, Σd² and Σxd.
    """

    name: str
    n: int
    sum: float
    sum_squares: float
    covariate_sum: float | None = None
    covariate_sum_squares: float | None = None
    cross_sum: float | None = None
    denominator_sum: float | None = None
    denominator_sum_squares: float | None = None
    denominator_cross_sum: float | None = None

    @property
    def has_covariate(self) -> bool:
        return None not in (self.covariate_sum, self.covariate_sum_squares, self.cross_sum)

    @property
    def is_ratio(self) -> bool:
        return None not in (self.denominator_sum, self.denominator_sum_squares, self.denominator_cross_sum)


@dataclass(frozen=True)
class Estimate:
    """A lift with its interval and two-sided p-value (None where the method has none)."""

    effect: float
    ci: tuple[float, float]
    p_value: float | None
    se: float

    def as_dict(self) -> dict[str, Any]:
        return {"effect": self.effect, "ci": [self.ci[0], self.ci[1]], "p_value": self.p_value}


@dataclass(frozen=True)
class Comparison:
    """One non-control variation against the control for one metric."""

    variation: str
    control_mean: float
    variation_mean: float
    absolute: Estimate
    relative: Estimate
    chance_to_win: float | None = None
    risk: float | None = None
    risk_control: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "variation": self.variation,
            "control_mean": self.control_mean,
            "variation_mean": self.variation_mean,
            "absolute": self.absolute.as_dict(),
            "relative": self.relative.as_dict(),
        }
        if self.chance_to_win is not None:
            out["chance_to_win"] = self.chance_to_win
            out["risk"] = self.risk
            out["risk_control"] = self.risk_control
        out.update(self.extra)
        return out


# --- validation --------------------------------------------------------------------------------------------


def parse_stats_document(doc: Any, *, source: str = "stats") -> tuple[str, list[VariationStats]]:
    """Read `{"metric": {"type": ...}, "variations": [{"name", "n", "sum", "sum_squares", ...}]}`."""
    if not isinstance(doc, Mapping):
        raise FieldError("$", "a JSON object with 'metric' and 'variations'", source=source)
    metric = doc.get("metric") or {}
    kind = metric.get("type") if isinstance(metric, Mapping) else None
    if kind not in METRIC_TYPES:
        raise FieldError("metric.type", f"one of {', '.join(METRIC_TYPES)}", source=source)
    raw = doc.get("variations")
    if not isinstance(raw, list) or len(raw) < 2:
        raise FieldError("variations", "a list of at least two variations, control first", source=source)
    out = []
    names: set[str] = set()
    for i, v in enumerate(raw):
        where = f"variations[{i}]"
        if not isinstance(v, Mapping):
            raise FieldError(where, "an object", source=source)
        name = v.get("name", "control" if i == 0 else f"variation {i}")
        if not isinstance(name, str) or not name or name in names:
            raise FieldError(f"{where}.name", "a unique, non-empty name", source=source)
        names.add(name)
        n = v.get("n")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise FieldError(f"{where}.n", f"a non-negative integer count, got {n!r}", source=source)
        values: dict[str, float | None] = {}
        for key in (
            "sum",
            "sum_squares",
            "covariate_sum",
            "covariate_sum_squares",
            "cross_sum",
            "denominator_sum",
            "denominator_sum_squares",
            "denominator_cross_sum",
        ):
            value = v.get(key)
            required = key in ("sum", "sum_squares")
            if value is None and not required:
                values[key] = None
                continue
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                raise FieldError(f"{where}.{key}", "a finite number", source=source)
            values[key] = float(value)
        if (values["sum_squares"] or 0) < 0:
            raise FieldError(f"{where}.sum_squares", "a non-negative sum of squares", source=source)
        if kind == "proportion" and n and not 0 <= (values["sum"] or 0) <= n:
            raise FieldError(f"{where}.sum", f"a count of successes between 0 and n={n}", source=source)
        stats = VariationStats(
            name,
            n,
            values["sum"] or 0.0,
            values["sum_squares"] or 0.0,
            **{k: values[k] for k in values if k not in ("sum", "sum_squares")},
        )
        if kind == "ratio" and not stats.is_ratio:
            raise FieldError(
                f"{where}.denominator_sum",
                "denominator_sum, denominator_sum_squares and denominator_cross_sum for a ratio metric",
                source=source,
            )
        out.append(stats)
    return str(kind), out


# --- moments -----------------------------------------------------------------------------------------------


def _mean_var(kind: str, v: VariationStats) -> tuple[float, float]:
    """The per-unit mean and variance of one variation's metric."""
    if v.n < 2:
        raise FieldError(
            f"variations[{v.name}].n", "at least 2 units in every variation to estimate variance"
        )
    mean = v.sum / v.n
    if kind == "proportion":
        return mean, mean * (1 - mean)
    var = max((v.sum_squares - v.sum * v.sum / v.n) / (v.n - 1), 0.0)
    if kind == "ratio" and v.is_ratio:
        d_sum, d_ss, xd = (
            v.denominator_sum or 0.0,
            v.denominator_sum_squares or 0.0,
            v.denominator_cross_sum or 0.0,
        )
        mean_d = d_sum / v.n
        if mean_d == 0:
            raise FieldError(f"variations[{v.name}].denominator_sum", "a non-zero denominator")
        var_d = max((d_ss - d_sum * d_sum / v.n) / (v.n - 1), 0.0)
        cov = (xd - v.sum * d_sum / v.n) / (v.n - 1)
        ratio = mean / mean_d
        # Delta method: the per-unit variance of the ratio of means.
        var = (var - 2 * ratio * cov + ratio * ratio * var_d) / (mean_d * mean_d)
        return ratio, max(var, 0.0)
    return mean, var


def cuped_theta(variations: Sequence[VariationStats]) -> float:
    """θ = cov(x, y) / var(y) over the pooled variations given (metrics.md §3, CUPED); `compare` pools the
    control and the one variation it compares, so a comparison does not depend on the other arms."""
    n = sum(v.n for v in variations)
    sx = sum(v.sum for v in variations)
    sy = sum(v.covariate_sum or 0.0 for v in variations)
    syy = sum(v.covariate_sum_squares or 0.0 for v in variations)
    sxy = sum(v.cross_sum or 0.0 for v in variations)
    var_y = (syy - sy * sy / n) / (n - 1)
    if var_y <= 0:
        return 0.0
    return ((sxy - sx * sy / n) / (n - 1)) / var_y


@dataclass(frozen=True)
class _Moments:
    """One variation's per-unit mean and variance, CUPED-adjusted when asked (`mean` and `var`), and its
    unadjusted mean (`raw_mean`), which the relative lift divides by."""

    mean: float
    var: float
    n: int
    raw_mean: float


def _pair_moments(
    kind: str, control: VariationStats, treatment: VariationStats, cuped: bool
) -> tuple[_Moments, _Moments]:
    """The control's and the treatment's moments for their comparison. With CUPED, θ is pooled over these
    two arms only (as gbstats does), each mean becomes x̄ − θȳ and each variance
    var(x) + θ²var(y) − 2θcov(x, y)."""
    pair = (control, treatment)
    plain = [_mean_var(kind, v) for v in pair]
    if not cuped or kind == "ratio" or not all(v.has_covariate for v in pair):
        return _Moments(*plain[0], control.n, plain[0][0]), _Moments(*plain[1], treatment.n, plain[1][0])
    theta = cuped_theta(pair)
    out = []
    for (mean, var), v in zip(plain, pair, strict=True):
        n = v.n
        my = (v.covariate_sum or 0.0) / n
        var_y = ((v.covariate_sum_squares or 0.0) - (v.covariate_sum or 0.0) ** 2 / n) / (n - 1)
        cov = ((v.cross_sum or 0.0) - v.sum * (v.covariate_sum or 0.0) / n) / (n - 1)
        adj_var = max(var + theta * theta * var_y - 2 * theta * cov, 0.0)
        out.append(_Moments(mean - theta * my, adj_var, n, mean))
    return out[0], out[1]


# --- the three analyses ------------------------------------------------------------------------------------


def welch_dof(var_a: float, n_a: int, var_b: float, n_b: int) -> float:
    """Welch–Satterthwaite degrees of freedom."""
    a, b = var_a / n_a, var_b / n_b
    denom = (a * a) / (n_a - 1) + (b * b) / (n_b - 1)
    return (a + b) ** 2 / denom if denom > 0 else float(n_a + n_b - 2)


def _t_estimate(effect: float, se: float, dof: float, alpha: float) -> Estimate:
    if se == 0:
        return Estimate(effect, (effect, effect), 1.0 if effect == 0 else 0.0, 0.0)
    t = effect / se
    p = float(2 * sps.t.sf(abs(t), dof))
    half = float(sps.t.ppf(1 - alpha / 2, dof)) * se
    return Estimate(effect, (effect - half, effect + half), p, se)


def sequential_halfwidth(se: float, n_total: int, alpha: float, tuning: float = SEQUENTIAL_TUNING) -> float:
    """Half-width of the asymptotic confidence sequence (Waudby-Smith et al., normal mixture) for an estimate
    with standard error `se` from `n_total` units."""
    rho2 = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning
    s2 = se * se * n_total  # per-unit variance of the estimate
    inner = (
        2
        * (n_total * rho2 + 1)
        / (n_total * n_total * rho2)
        * math.log(math.sqrt(n_total * rho2 + 1) / alpha)
    )
    return math.sqrt(s2 * inner)


def sequential_p_value(effect: float, se: float, n_total: int, alpha: float, tuning: float) -> float:
    """The always-valid p-value of the normal-mixture confidence sequence: 1 / its e-value, with the mixing
    parameter ρ tuned at the design's `alpha` (Waudby-Smith et al., eq. 155; gbstats' convention). It is below
    `alpha` exactly when the sequence at `alpha` excludes 0."""
    if se == 0:
        return 1.0 if effect == 0 else 0.0
    rho2 = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning
    st2 = effect * effect / (se * se)  # (estimate / se)², that is effect² · N / per-unit variance
    tr2p1 = n_total * rho2 + 1
    log_e = rho2 * n_total * st2 / (2 * tr2p1) - 0.5 * math.log(tr2p1)
    return 1.0 if log_e <= 0 else math.exp(-log_e)


def _sequential_estimate(effect: float, se: float, n_total: int, alpha: float, tuning: float) -> Estimate:
    if se == 0:
        return Estimate(effect, (effect, effect), 1.0 if effect == 0 else 0.0, 0.0)
    half = sequential_halfwidth(se, n_total, alpha, tuning)
    p = sequential_p_value(effect, se, n_total, alpha, tuning)
    return Estimate(effect, (effect - half, effect + half), p, se)


def compare(
    kind: str,
    variations: Sequence[VariationStats],
    *,
    method: str = "frequentist",
    alpha: float = 0.05,
    cuped: bool = True,
    tuning: float = SEQUENTIAL_TUNING,
    direction: str = "higher",
    prior: tuple[float, float] | None = None,
) -> list[Comparison]:
    """Each non-control variation (the first is the control) against the control, by `method`.

    `direction` is which way the metric is better (`higher` or `lower`); the Bayesian chance to win and risks
    follow it. `prior` is an optional proper Gaussian prior (mean, variance) on the relative lift for the
    Bayesian method; without it the prior is flat."""
    if method not in METHODS:
        raise FieldError("method", f"one of {', '.join(METHODS)}")
    if direction not in DIRECTIONS:
        raise FieldError("direction", "higher or lower (which way the metric is better)")
    if not 0 < alpha < 1:
        raise FieldError("alpha", "a number between 0 and 1, e.g. 0.05")
    if prior is not None:
        prior_mean, prior_variance = prior
        if not math.isfinite(prior_mean) or not (prior_variance > 0 and math.isfinite(prior_variance)):
            raise FieldError("prior", "a finite mean and a positive variance of the relative lift")
    results = []
    for v in variations[1:]:
        control, treatment = _pair_moments(kind, variations[0], v, cuped)
        mc, vc, nc, rc = control.mean, control.var, control.n, control.raw_mean
        mt, vt, nt, rt = treatment.mean, treatment.var, treatment.n, treatment.raw_mean
        diff = mt - mc
        se_abs = math.sqrt(vt / nt + vc / nc)
        dof = welch_dof(vt, nt, vc, nc)
        if rc == 0:
            raise FieldError(
                f"variations[{variations[0].name}]", "a control mean other than 0 for a relative lift"
            )
        # The relative lift divides the (adjusted) difference by the control's observed mean; its standard
        # error is the delta method's, on the observed means and the (adjusted) variances.
        lift = diff / rc
        se_rel = math.sqrt(vt / (nt * rc * rc) + rt * rt * vc / (nc * rc**4))
        mc, mt = rc, rt  # the values reported are the observed means
        extra: dict[str, Any] = {}
        if method == "frequentist":
            absolute = _t_estimate(diff, se_abs, dof, alpha)
            relative = _t_estimate(lift, se_rel, dof, alpha)
            results.append(Comparison(v.name, mc, mt, absolute, relative))
        elif method == "sequential":
            absolute = _sequential_estimate(diff, se_abs, nc + nt, alpha, tuning)
            relative = _sequential_estimate(lift, se_rel, nc + nt, alpha, tuning)
            results.append(Comparison(v.name, mc, mt, absolute, relative))
        else:
            z = float(sps.norm.ppf(1 - alpha / 2))
            absolute = Estimate(diff, (diff - z * se_abs, diff + z * se_abs), None, se_abs)
            post_mean, post_sd = lift, se_rel
            if prior is not None:
                # A proper Gaussian prior on the relative lift: precision-weighted, as gbstats does.
                precision = 1 / (se_rel * se_rel) + 1 / prior_variance
                post_mean = (lift / (se_rel * se_rel) + prior_mean / prior_variance) / precision
                post_sd = math.sqrt(1 / precision)
                extra["prior"] = {"mean": prior_mean, "variance": prior_variance}
            relative = Estimate(post_mean, (post_mean - z * post_sd, post_mean + z * post_sd), None, post_sd)
            # In the metric's direction, a gain is a lift above 0 (higher is better) or below 0 (lower).
            gain = post_mean if direction == "higher" else -post_mean
            ctw, risk, risk_control = bayesian_summary(gain, post_sd)
            extra["credible_level"] = 1 - alpha
            extra["direction"] = direction
            results.append(Comparison(v.name, mc, mt, absolute, relative, ctw, risk, risk_control, extra))
    return results


def bayesian_summary(mu: float, sigma: float) -> tuple[float, float, float]:
    """For a gain ~ N(mu, sigma²) (the lift signed so that positive is better): the chance it is above 0, and
    the expected loss of shipping the variation (E[max(0, −gain)]) and of keeping the control
    (E[max(0, gain)])."""
    if sigma <= 0:
        return (1.0 if mu > 0 else 0.0 if mu < 0 else 0.5), max(-mu, 0.0), max(mu, 0.0)
    z = mu / sigma
    pdf = float(sps.norm.pdf(z))
    ctw = float(sps.norm.cdf(z))
    risk = sigma * pdf - mu * float(sps.norm.cdf(-z))
    risk_control = sigma * pdf + mu * ctw
    return ctw, risk, risk_control


# --- SRM, corrections, power -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SrmResult:
    """Sample-ratio mismatch: the chi-square test of observed counts against the configured weights."""

    observed: tuple[int, ...]
    expected: tuple[float, ...]
    chi2: float
    p_value: float
    threshold: float = SRM_THRESHOLD

    @property
    def mismatch(self) -> bool:
        return self.p_value < self.threshold

    def as_dict(self) -> dict[str, Any]:
        return {
            "observed": list(self.observed),
            "expected": list(self.expected),
            "chi2": self.chi2,
            "p_value": self.p_value,
            "threshold": self.threshold,
            "mismatch": self.mismatch,
        }


def check_weights(weights: Sequence[float], count: int, *, field_name: str = "weights") -> list[float]:
    """Weights normalised to sum to 1; refuses a count that does not match the variations, or a weight ≤ 0."""
    if len(weights) != count:
        raise FieldError(field_name, f"{count} weights, one per variation, got {len(weights)}")
    if any(not isinstance(w, int | float) or w <= 0 or not math.isfinite(w) for w in weights):
        raise FieldError(field_name, "positive numbers")
    total = float(sum(weights))
    return [w / total for w in weights]


def srm(observed: Sequence[int], weights: Sequence[float]) -> SrmResult:
    """Pearson's chi-square test of `observed` counts against `weights` (metrics.md §3, SRM)."""
    ws = check_weights(weights, len(observed))
    total = sum(observed)
    expected = tuple(total * w for w in ws)
    if total == 0:
        return SrmResult(tuple(observed), expected, 0.0, 1.0)
    chi2 = sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))
    p = float(sps.chi2.sf(chi2, len(observed) - 1))
    return SrmResult(tuple(observed), expected, chi2, p)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (false discovery rate), in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i], reverse=True)
    adjusted = [0.0] * m
    running = 1.0
    for k, i in enumerate(order):
        rank = m - k
        running = min(running, p_values[i] * m / rank)
        adjusted[i] = min(running, 1.0)
    return adjusted


CORRECTIONS = {"holm": holm, "bh": benjamini_hochberg}


@dataclass(frozen=True)
class PowerResult:
    """The sample each arm needs to detect `mde` (relative to the baseline) at `alpha` with `power`."""

    baseline: float
    mde: float
    alpha: float
    power: float
    weights: tuple[float, ...]
    per_arm: tuple[int, ...]
    total: int
    equal_split_total: int
    daily_traffic: float | None

    @property
    def days(self) -> int | None:
        if not self.daily_traffic:
            return None
        return math.ceil(self.total / self.daily_traffic)

    @property
    def cost_vs_equal_split(self) -> float:
        return self.total / self.equal_split_total

    def as_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "mde": self.mde,
            "alpha": self.alpha,
            "power": self.power,
            "weights": list(self.weights),
            "per_arm": list(self.per_arm),
            "total": self.total,
            "equal_split_total": self.equal_split_total,
            "cost_vs_equal_split": self.cost_vs_equal_split,
            "daily_traffic": self.daily_traffic,
            "days": self.days,
        }


def _total_sample(var_c: float, var_t: float, delta: float, weights: Sequence[float], z: float) -> float:
    # Var(difference) = var_c / (N w_c) + Σ var_t / (N w_t); solve z·sqrt(Var) = |delta| for N.
    spread = var_c / weights[0] + sum(var_t / w for w in weights[1:])
    return z * z * spread / (delta * delta)


def sample_size(
    baseline: float,
    mde: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    weights: Sequence[float] | None = None,
    sd: float | None = None,
    daily_traffic: float | None = None,
) -> PowerResult:
    """Units needed for the two-sided relative-lift test to detect a lift `mde` on `baseline` (metrics.md §3,
    power).

    Without `sd` the baseline is a proportion (variance p(1 − p) in each arm); with `sd` it is a mean whose
    per-unit standard deviation is `sd`. `weights` (control first) split the traffic; unequal splits need more
    units than an equal one, and the result says how many times more.
    """
    if not 0 < alpha < 1:
        raise FieldError("--alpha", "a number between 0 and 1")
    if not 0 < power < 1:
        raise FieldError("--power", "a number between 0 and 1")
    if mde == 0 or not math.isfinite(mde):
        raise FieldError("--mde", "a non-zero relative effect, e.g. 0.05 for 5%")
    ws = check_weights(
        list(weights) if weights else [1.0, 1.0], len(weights) if weights else 2, field_name="--weights"
    )
    if len(ws) < 2:
        raise FieldError("--weights", "at least two weights (control first)")
    target = baseline * (1 + mde)
    if sd is None:
        if not 0 < baseline < 1:
            raise FieldError("--baseline", "a proportion between 0 and 1 (or give --sd for a mean)")
        if not 0 < target < 1:
            raise FieldError("--mde", f"an effect that keeps the rate within 0..1 (baseline {baseline})")
        var_c, var_t = baseline * (1 - baseline), target * (1 - target)
    else:
        if sd <= 0:
            raise FieldError("--sd", "a positive standard deviation")
        if baseline == 0 or not math.isfinite(baseline):
            raise FieldError("--baseline", "a non-zero mean (the lift is relative to it)")
        var_c = var_t = sd * sd
    z = float(sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(power))
    # Planned for the test the verdict uses, on the relative lift: by the delta method its variance is
    # σt²/(n_t·b²) + t²·σc²/(n_c·b⁴) for a baseline b and a target t = b(1 + mde).
    rel_var_c = target * target * var_c / baseline**4
    rel_var_t = var_t / (baseline * baseline)
    total = _total_sample(rel_var_c, rel_var_t, mde, ws, z)
    equal = _total_sample(rel_var_c, rel_var_t, mde, [1 / len(ws)] * len(ws), z)
    per_arm = tuple(math.ceil(total * w) for w in ws)
    return PowerResult(
        baseline,
        mde,
        alpha,
        power,
        tuple(ws),
        per_arm,
        sum(per_arm),
        sum(math.ceil(equal / len(ws)) for _ in ws),
        daily_traffic,
    )


# --- verdict -----------------------------------------------------------------------------------------------

STATUSES = ("validated", "invalidated", "inconclusive", "invalid", "too early")


@dataclass(frozen=True)
class VerdictResult:
    status: str
    reason: str


def decide(
    *,
    srm_result: SrmResult | None,
    primary: Comparison | None,
    direction: str,
    mme: float,
    guardrails_harmed: Sequence[str],
    planned_sample: int | None,
    observed_sample: int,
    sequential: bool = False,
) -> VerdictResult:
    """The verdict on a bet from its primary metric's relative-lift interval (metrics.md §3, Verdict).

    `direction` is `higher` or `lower` (which way the bet expects the metric to move); `mme` is the minimum
    meaningful relative effect, as a positive number in the expected direction.
    """
    if srm_result is not None and srm_result.mismatch:
        return VerdictResult(
            "invalid",
            f"sample-ratio mismatch: observed {list(srm_result.observed)} against expected "
            f"{[round(e) for e in srm_result.expected]} "
            f"(p = {srm_result.p_value:.2g} < {srm_result.threshold})",
        )
    if primary is None:
        return VerdictResult("too early", "no exposures or no data for the primary metric yet")
    lo, hi = primary.relative.ci
    sign = 1 if direction == "higher" else -1
    # Express the interval in the expected direction: positive is good.
    good_lo, good_hi = (lo, hi) if sign > 0 else (-hi, -lo)
    decided = good_lo > 0 or good_hi < 0 or good_hi < mme
    if planned_sample and observed_sample < planned_sample and not (sequential and decided):
        return VerdictResult(
            "too early", f"{observed_sample:,} of the planned {planned_sample:,} units have been exposed"
        )
    pct = f"[{lo:+.1%}, {hi:+.1%}]"
    if good_hi < 0:
        return VerdictResult("invalidated", f"the primary metric moved the wrong way: relative lift {pct}")
    if good_hi < mme:
        return VerdictResult(
            "invalidated", f"the lift {pct} lies below the minimum meaningful effect of {mme:.1%}"
        )
    if good_lo > 0:
        if guardrails_harmed:
            return VerdictResult(
                "inconclusive",
                f"the primary metric improved {pct}, but guardrail(s) were harmed: "
                f"{', '.join(guardrails_harmed)}",
            )
        return VerdictResult(
            "validated", f"the primary metric improved: relative lift {pct}; no guardrail harmed"
        )
    return VerdictResult("inconclusive", f"the interval {pct} includes no effect and effects worth having")
