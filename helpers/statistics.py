from typing import Any

import numpy as np


def correlation(x: Any, y: Any, confidence: float = 0.95) -> dict[str, float]:
    """Pearson's r with its Fisher-z confidence interval, and Spearman's rho.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Paired finite values, ``n >= 4`` for an interval.
    confidence : float, default 0.95

    Returns
    -------
    dict
        ``n``, ``pearson``, ``low``, ``high`` (the interval:
        ``tanh(atanh(r) ± z / sqrt(n - 3))``), ``spearman``. NaN where undefined:
        a constant variable, or ``n < 4`` for the interval.

    Examples
    --------
    >>> result = correlation([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])
    >>> round(result["pearson"], 3), round(result["low"], 3), round(result["high"], 3)
    (0.8, -0.28, 0.986)
    """
    from scipy import stats

    a = np.asarray(x, dtype=np.float64).ravel()
    b = np.asarray(y, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"x and y must have the same length; got {a.size} and {b.size}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("x and y must be finite")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1); got {confidence!r}")
    n = a.size
    nan = float("nan")
    if n < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return {"n": n, "pearson": nan, "low": nan, "high": nan, "spearman": nan}
    r = float(np.clip(np.corrcoef(a, b)[0, 1], -1.0, 1.0))
    rho = float(stats.spearmanr(a, b).statistic)
    if n < 4 or abs(r) == 1.0:
        low = high = nan if n < 4 else r
    else:
        z = stats.norm.ppf(0.5 + confidence / 2) / np.sqrt(n - 3)
        low, high = float(np.tanh(np.arctanh(r) - z)), float(np.tanh(np.arctanh(r) + z))
    return {"n": n, "pearson": r, "low": low, "high": high, "spearman": rho}
