"""Correlations over a designed grid of networks: permutation p-values, bootstrap intervals.

Fig. 3B of Horoi et al. (2022) relates one number per trained network (total
persistence around its optimum) to another (its test loss) over a grid of training
configurations. A Fisher-z interval assumes a random sample from a bivariate normal
population; a designed grid of a few dozen networks with skewed values is neither.
The tests here assume only that, under the null hypothesis, the pairing of ``x`` with
``y`` is exchangeable:

* :func:`correlation_test` — Spearman's ρ (or Pearson's r) with a permutation p-value,
  **exact** over all ``n!`` orderings when ``n <= exact_max_n`` (8 by default: 40,320
  orderings), else **Monte-Carlo** from ``m`` seeded permutations with the
  ``(b + 1) / (m + 1)`` correction (Phipson & Smyth 2010), which never reports 0;
  and a seeded **bootstrap percentile interval** (pairs resampled; ranks recomputed in
  each resample).
* :func:`partial_correlation` and :func:`partial_correlation_test` — the correlation
  of ``x`` and ``y`` once one or more covariates ``z`` are regressed out of both
  (least squares with an intercept; on ranks for Spearman), with the
  **Freedman–Lane** permutation test (below) and the same bootstrap.
* :func:`correlation_frame` — one row per feature against one target.

Each returns a :class:`CorrelationResult`; :mod:`helpers.report` turns it into a
verdict sentence.

Freedman–Lane
-------------
With ``e_x`` and ``e_y`` the residuals of ``x`` and ``y`` on ``[1, z]`` and ``M`` the
projection onto the orthogonal complement of ``[1, z]``, the statistic is
``corr(e_x, e_y)``. Each permutation ``π`` shuffles the residuals of ``x``, adds back
its fitted values (``x* = x̂ + π e_x``) and recomputes the partial correlation of ``x*``
and ``y`` given ``z``, which is ``corr(M π e_x, e_y)``. Re-projecting the permuted
residuals is what distinguishes it from the simpler scheme of Kennedy (1995),
``corr(π e_x, e_y)``, whose type-I error is inflated in small samples; Anderson &
Legendre (1999) found Freedman–Lane the most reliable of the residual schemes. Its
reference distribution is exact only asymptotically (residuals are not exchangeable),
so with covariates "exact" means: over every ordering of the residuals. With no
covariate, ``M`` only centres, and the test is the ordinary permutation test of the
correlation.

Examples
--------
>>> result = correlation_test([1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5])
>>> round(result.statistic, 3), result.p_method, result.n_permutations
(0.829, 'exact', 720)
>>> round(result.p_value, 4)
0.0583
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from helpers.checks import check_choice, check_float, check_int

__all__ = [
    "ALTERNATIVES",
    "EXACT_LIMIT",
    "METHODS",
    "CorrelationResult",
    "correlation_frame",
    "correlation_test",
    "partial_correlation",
    "partial_correlation_test",
]

#: Correlation coefficients: Spearman's ρ (on ranks) or Pearson's r.
METHODS = ("spearman", "pearson")
#: Alternative hypotheses of the permutation tests.
ALTERNATIVES = ("two-sided", "greater", "less")
#: The largest ``exact_max_n`` accepted: 9! = 362,880 orderings are enumerated at once.
EXACT_LIMIT = 9
# Permuted statistics this close to the observed one are ties (float round-off: the
# identity permutation reaches the observed value through a different sum).
_TIES = 1e-10
# A residual vector shorter than this fraction of the centred variable is zero: the
# covariates explain the variable entirely, and its partial correlation is undefined.
_ZERO = 1e-10
_CHUNK = 4096  # permutations or resamples evaluated per batch


@dataclass(frozen=True)
class CorrelationResult:
    """A correlation with its permutation p-value and bootstrap interval.

    Attributes
    ----------
    method : {"spearman", "pearson"}
    statistic : float
        ρ or r (partial when ``covariates > 0``); NaN when undefined (a variable is
        constant, or explained entirely by the covariates).
    n : int
        Paired observations.
    p_value : float
        Permutation p-value for ``alternative``; NaN when the statistic is undefined.
    p_method : {"exact", "monte-carlo"}
        Enumeration of all ``n!`` orderings, or ``n_permutations`` random ones.
    n_permutations : int
        Orderings evaluated (``n!`` when exact).
    alternative : {"two-sided", "greater", "less"}
    low, high : float
        Bootstrap percentile interval at ``confidence``; NaN without resamples.
    confidence : float
    n_bootstrap : int
        Resamples in which the statistic was defined (those with a constant variable
        are left out).
    covariates : int
        Number of covariates regressed out (0: an ordinary correlation).
    random_state : int
        Seed of the permutations and resamples.

    Examples
    --------
    >>> result = correlation_test([1, 2, 3, 4], [1, 3, 2, 4])
    >>> result.label, result.defined
    ("Spearman's ρ", True)
    """

    method: str
    statistic: float
    n: int
    p_value: float
    p_method: str
    n_permutations: int
    alternative: str
    low: float
    high: float
    confidence: float
    n_bootstrap: int
    covariates: int = 0
    random_state: int = 0

    @property
    def label(self) -> str:
        """The statistic's name, e.g. ``"partial Spearman's ρ"``."""
        name = "Spearman's ρ" if self.method == "spearman" else "Pearson's r"
        return f"partial {name}" if self.covariates else name

    @property
    def defined(self) -> bool:
        """Whether the statistic is a number (not NaN)."""
        return bool(np.isfinite(self.statistic))

    def to_dict(self) -> dict[str, Any]:
        """The fields and the label as a flat dict (a row of :func:`correlation_frame`)."""
        return {**asdict(self), "label": self.label}


def correlation_test(x: Any, y: Any, method: str = "spearman", *,
                     alternative: str = "two-sided", n_permutations: int = 9999,
                     exact_max_n: int = 8, n_bootstrap: int = 2000,
                     confidence: float = 0.95, random_state: int = 0) -> CorrelationResult:
    """Spearman's ρ or Pearson's r with a permutation p-value and a bootstrap interval.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Paired finite values.
    method : {"spearman", "pearson"}, default "spearman"
        Spearman ranks both variables (average ranks for ties) and correlates the ranks.
    alternative : {"two-sided", "greater", "less"}, default "two-sided"
        Two-sided counts permutations with ``|stat| >= |observed|``.
    n_permutations : int, default 9999
        Random permutations when ``n > exact_max_n``; the p-value is
        ``(b + 1) / (n_permutations + 1)``, ``b`` the permutations at least as extreme.
    exact_max_n : int, default 8
        Up to this many points, every ordering is enumerated and the p-value is exact
        (``b / n!``, the identity included). At most :data:`EXACT_LIMIT`.
    n_bootstrap : int, default 2000
        Resamples of the pairs for the percentile interval; 0 skips it.
    confidence : float, default 0.95
    random_state : int, default 0
        Seeds the permutations and, independently, the resamples: changing one
        count does not change the other's draws.

    Returns
    -------
    CorrelationResult

    Examples
    --------
    >>> result = correlation_test(np.arange(20), np.arange(20) ** 2, n_permutations=999)
    >>> result.statistic, result.p_method, result.p_value
    (1.0, 'monte-carlo', 0.001)
    """
    return _test(x, y, None, method, alternative, n_permutations, exact_max_n, n_bootstrap,
                 confidence, random_state)


def partial_correlation(x: Any, y: Any, z: Any, method: str = "spearman") -> float:
    """Correlation of ``x`` and ``y`` after regressing the covariates ``z`` out of both.

    Parameters
    ----------
    x, y : array_like, shape (n,)
    z : array_like, shape (n,) or (n, k)
        One covariate, or ``k`` of them as columns.
    method : {"spearman", "pearson"}, default "spearman"
        Spearman ranks ``x``, ``y`` and each covariate first.

    Returns
    -------
    float
        ``corr(e_x, e_y)`` for the least-squares residuals on ``[1, z]``; NaN when a
        residual vanishes. For one covariate this equals
        ``(r_xy - r_xz r_yz) / sqrt((1 - r_xz²)(1 - r_yz²))``.

    Examples
    --------
    >>> z = np.arange(8.0)
    >>> x = z + np.array([1, -1, 1, -1, 1, -1, 1, -1])
    >>> y = z + np.array([1, -1, 1, -1, 1, -1, 1, -1])
    >>> round(partial_correlation(x, y, z, method="pearson"), 6)
    1.0
    """
    check_choice("method", method, METHODS)
    a, b, c = _paired(x, y, z)
    return float(_statistics(a[None], b[None], c[None], method)[0])


def partial_correlation_test(x: Any, y: Any, z: Any, method: str = "spearman", *,
                             alternative: str = "two-sided", n_permutations: int = 9999,
                             exact_max_n: int = 8, n_bootstrap: int = 2000,
                             confidence: float = 0.95,
                             random_state: int = 0) -> CorrelationResult:
    """:func:`partial_correlation` with a Freedman–Lane permutation p-value and a bootstrap.

    The p-value permutes the residuals of ``x`` on ``[1, z]`` (see the module's notes);
    the interval resamples the rows ``(x, y, z)`` and recomputes ranks and regressions
    in each resample. Parameters as for :func:`correlation_test`, plus ``z`` as for
    :func:`partial_correlation`.

    Returns
    -------
    CorrelationResult
        With ``covariates`` the number of columns of ``z``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=30)
    >>> x, y = z + rng.normal(size=30), z + rng.normal(size=30)
    >>> plain = correlation_test(x, y, n_bootstrap=0)
    >>> partial = partial_correlation_test(x, y, z, n_bootstrap=0)
    >>> plain.p_value < 0.05 < partial.p_value
    True
    """
    if z is None:
        raise ValueError("z must hold the covariate values (an array of shape (n,) or "
                         "(n, k)); got None — use correlation_test without covariates")
    return _test(x, y, z, method, alternative, n_permutations, exact_max_n, n_bootstrap,
                 confidence, random_state)


def correlation_frame(frame: pd.DataFrame, target: str, columns: Sequence[str], *,
                      given: str | Sequence[str] | None = None,
                      **options: Any) -> pd.DataFrame:
    """Test every column of ``columns`` against ``target``, one row each.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per network.
    target : str
        The column on the y side (e.g. ``"test_loss"``).
    columns : sequence of str
        The columns on the x side (e.g. total persistence, saddles).
    given : str or sequence of str, optional
        Covariate columns: partial correlations (:func:`partial_correlation_test`).
    **options
        ``method``, ``alternative``, ``n_permutations``, ``exact_max_n``,
        ``n_bootstrap``, ``confidence``, ``random_state``; the same seed for every row.

    Returns
    -------
    pandas.DataFrame
        ``column``, ``target``, ``given`` and the fields of :class:`CorrelationResult`.

    Examples
    --------
    >>> table = pd.DataFrame({"loss": [1, 2, 3, 4, 5], "a": [1, 2, 3, 5, 4],
    ...                       "b": [5, 4, 3, 2, 1]})
    >>> rows = correlation_frame(table, "loss", ["a", "b"], n_bootstrap=0)
    >>> rows[["column", "statistic", "p_value"]].round(3).values.tolist()
    [['a', 0.9, 0.083], ['b', -1.0, 0.017]]
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a pandas DataFrame; got {type(frame).__name__}")
    covariates = [given] if isinstance(given, str) else list(given or [])
    if isinstance(columns, str) or not isinstance(columns, Sequence) or not columns:
        raise ValueError(f"columns must be a non-empty sequence of column names; got {columns!r}")
    for name, wanted in (("target", [target]), ("columns", list(columns)),
                         ("given", covariates)):
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} must name columns of frame; {missing} are not among "
                             f"{list(frame.columns)}")
    accepted = {"method", "alternative", "n_permutations", "exact_max_n", "n_bootstrap",
                "confidence", "random_state"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ValueError(f"unknown option(s) {unknown}; accepted: {sorted(accepted)}")
    rows = []
    for column in columns:
        if covariates:
            result = partial_correlation_test(frame[column], frame[target],
                                              frame[covariates].to_numpy(), **options)
        else:
            result = correlation_test(frame[column], frame[target], **options)
        rows.append({"column": column, "target": target, "given": ", ".join(covariates),
                     **result.to_dict()})
    return pd.DataFrame(rows)


# -- the computation ---------------------------------------------------------------------

def _test(x: Any, y: Any, z: Any, method: str, alternative: str, n_permutations: int,
          exact_max_n: int, n_bootstrap: int, confidence: float,
          random_state: int) -> CorrelationResult:
    check_choice("method", method, METHODS)
    check_choice("alternative", alternative, ALTERNATIVES)
    n_permutations = check_int("n_permutations", n_permutations, minimum=1)
    exact_max_n = check_int("exact_max_n", exact_max_n, minimum=0, maximum=EXACT_LIMIT)
    n_bootstrap = check_int("n_bootstrap", n_bootstrap, minimum=0)
    confidence = check_float("confidence", confidence, minimum=0.0, maximum=1.0,
                             strict_minimum=True)
    if confidence == 1.0:
        raise ValueError(f"confidence must lie in (0, 1); got {confidence!r}")
    random_state = check_int("random_state", random_state, minimum=0)
    a, b, c = _paired(x, y, z)
    n, k = a.size, c.shape[1]
    observed = float(_statistics(a[None], b[None], c[None], method)[0])
    permutation_seed, bootstrap_seed = np.random.SeedSequence(random_state).spawn(2)
    exact = n <= exact_max_n
    p_value, evaluated = _permutation_p(a, b, c, method, observed, alternative, exact,
                                        n_permutations,
                                        np.random.default_rng(permutation_seed))
    low, high, used = _bootstrap(a, b, c, method, n_bootstrap, confidence,
                                 np.random.default_rng(bootstrap_seed))
    return CorrelationResult(method=method, statistic=observed, n=n, p_value=p_value,
                             p_method="exact" if exact else "monte-carlo",
                             n_permutations=evaluated, alternative=alternative, low=low,
                             high=high, confidence=confidence, n_bootstrap=used,
                             covariates=k, random_state=random_state)


def _paired(x: Any, y: Any, z: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``x``, ``y`` as float vectors and ``z`` as an ``(n, k)`` matrix, all checked."""
    a, b = _vector("x", x), _vector("y", y)
    if a.size != b.size:
        raise ValueError(f"x and y must have the same length; got {a.size} and {b.size}")
    if z is None:
        return a, b, np.empty((a.size, 0))
    try:
        c = np.asarray(z, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("z must be numeric, of shape (n,) or (n, k)") from None
    c = c.reshape(-1, 1) if c.ndim == 1 else c
    if c.ndim != 2 or c.shape[0] != a.size or c.shape[1] == 0:
        raise ValueError(f"z must have shape ({a.size},) or ({a.size}, k) with k >= 1, "
                         f"one row per value of x; got shape {np.shape(z)}")
    if not np.all(np.isfinite(c)):
        raise ValueError("z must be finite (no NaN or infinity)")
    return a, b, c


def _vector(name: str, values: Any) -> np.ndarray:
    try:
        vector = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of numbers") from None
    if vector.ndim != 1 or vector.size == 0:
        raise ValueError(f"{name} must be a non-empty one-dimensional sequence of numbers; "
                         f"got shape {vector.shape}")
    if not np.all(np.isfinite(vector)):
        raise ValueError(f"{name} must be finite (no NaN or infinity)")
    return vector


def _ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks along axis 1 (the observations of each row)."""
    return stats.rankdata(values, axis=1)


def _residuals(values: np.ndarray, basis: np.ndarray | None) -> np.ndarray:
    """Rows of ``values`` minus their projection on ``[1, Z]``.

    ``basis`` holds, per row, an orthonormal basis of the centred covariates (shape
    ``(m, n, r)``), or ``None`` for none: centring alone.
    """
    centred = values - values.mean(axis=-1, keepdims=True)
    if basis is None or basis.shape[-1] == 0:
        return centred
    return centred - np.einsum("mnr,mr->mn", basis, np.einsum("mnr,mn->mr", basis, centred))


def _covariate_basis(z: np.ndarray) -> np.ndarray | None:
    """Orthonormal bases of the centred covariates ``z`` (shape ``(m, n, k)``), by SVD.

    Directions with a negligible singular value are dropped (set to zero), so a
    constant or repeated covariate costs nothing: the projection is onto the span.
    """
    if z.shape[-1] == 0:
        return None
    centred = z - z.mean(axis=1, keepdims=True)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    tolerance = max(z.shape[1], z.shape[2]) * np.finfo(np.float64).eps
    keep = s > tolerance * np.maximum(s[:, :1], np.finfo(np.float64).tiny)
    return u * keep[:, None, :]


def _correlate(a: np.ndarray, b: np.ndarray, scale_a: np.ndarray,
               scale_b: np.ndarray) -> np.ndarray:
    """Row-wise correlation of centred rows; NaN where a row is (relatively) zero."""
    norm_a, norm_b = np.linalg.norm(a, axis=-1), np.linalg.norm(b, axis=-1)
    zero = (norm_a <= _ZERO * scale_a) | (norm_b <= _ZERO * scale_b)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.einsum("mn,mn->m", a, b) / (norm_a * norm_b)
    return np.where(zero, np.nan, np.clip(r, -1.0, 1.0))


def _statistics(x: np.ndarray, y: np.ndarray, z: np.ndarray, method: str) -> np.ndarray:
    """The (partial) correlation of each row: ``x``, ``y`` of shape (m, n), ``z`` (m, n, k)."""
    if method == "spearman":
        x, y = _ranks(x), _ranks(y)
        if z.shape[-1]:
            z = stats.rankdata(z, axis=1)
    basis = _covariate_basis(z)
    ex, ey = _residuals(x, basis), _residuals(y, basis)
    return _correlate(ex, ey, _scale(x), _scale(y))


def _scale(values: np.ndarray) -> np.ndarray:
    """Norm of each centred row: what a residual is compared with to call it zero."""
    return np.linalg.norm(values - values.mean(axis=-1, keepdims=True), axis=-1)


def _permutation_p(x: np.ndarray, y: np.ndarray, z: np.ndarray, method: str,
                   observed: float, alternative: str, exact: bool, n_permutations: int,
                   rng: np.random.Generator) -> tuple[float, int]:
    """Freedman–Lane p-value (the plain permutation test when ``z`` has no column)."""
    n = x.size
    evaluated = math.factorial(n) if exact else n_permutations
    if not np.isfinite(observed):
        return float("nan"), evaluated
    if exact:
        orderings = (np.array(list(itertools.permutations(range(n))), dtype=np.intp)
                     .reshape(evaluated, n))
        batches = (orderings[i:i + _CHUNK] for i in range(0, evaluated, _CHUNK))
    else:
        batches = (np.argsort(rng.random((min(_CHUNK, evaluated - i), n)), axis=1)
                   for i in range(0, evaluated, _CHUNK))
    if method == "spearman":
        x, y, z = _ranks(x[None])[0], _ranks(y[None])[0], stats.rankdata(z, axis=0)
    basis = _covariate_basis(z[None])
    ex, ey = _residuals(x[None], basis)[0], _residuals(y[None], basis)[0]
    scale = float(np.linalg.norm(ex))
    extreme = 0
    for batch in batches:
        shuffled = ex[batch]  # (m, n): each row a permutation of x's residuals
        projected = _residuals(shuffled, None if basis is None
                               else np.broadcast_to(basis, (len(batch), *basis.shape[1:])))
        values = _correlate(projected, ey[None], np.full(len(batch), scale),
                            np.array([np.linalg.norm(ey)]))
        extreme += int(np.count_nonzero(_as_extreme(values, observed, alternative)))
    if exact:
        return extreme / evaluated, evaluated
    return (extreme + 1) / (evaluated + 1), evaluated


def _as_extreme(values: np.ndarray, observed: float, alternative: str) -> np.ndarray:
    """Which permuted statistics are at least as extreme as ``observed`` (NaN: never)."""
    with np.errstate(invalid="ignore"):
        if alternative == "greater":
            return values >= observed - _TIES
        if alternative == "less":
            return values <= observed + _TIES
        return np.abs(values) >= abs(observed) - _TIES


def _bootstrap(x: np.ndarray, y: np.ndarray, z: np.ndarray, method: str, n_bootstrap: int,
               confidence: float, rng: np.random.Generator) -> tuple[float, float, int]:
    """Percentile interval of the statistic over resampled rows, and resamples used."""
    if n_bootstrap == 0:
        return float("nan"), float("nan"), 0
    n = x.size
    values = []
    for start in range(0, n_bootstrap, _CHUNK):
        rows = rng.integers(0, n, size=(min(_CHUNK, n_bootstrap - start), n))
        values.append(_statistics(x[rows], y[rows], z[rows], method))
    finite = np.concatenate(values)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return float("nan"), float("nan"), 0
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    return float(low), float(high), int(finite.size)
