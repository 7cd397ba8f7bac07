"""Argument checks shared by every public function.

Each check raises :class:`ValueError` whose message names the argument and
what is accepted, so that bad input fails before any long computation starts.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray


def check_choice(name: str, value: Any, choices: Collection[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError``.

    Examples
    --------
    >>> check_choice("metric", "cosine", ("cosine", "euclidean"))
    'cosine'
    """
    if value not in choices:
        accepted = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {accepted}; got {value!r}")
    return value


def check_int(name: str, value: Any, *, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` if it is an integer within bounds.

    Booleans are refused: ``True`` is not a sensible number of epochs.

    Examples
    --------
    >>> check_int("epochs", 3, minimum=1)
    3
    """
    if isinstance(value, bool) or not isinstance(value, int | _np_integer()):
        raise ValueError(f"{name} must be an integer; got {value!r}")
    value = int(value)
    _check_bounds(name, value, minimum, maximum, "an integer")
    return value


def check_float(name: str, value: Any, *, minimum: float | None = None,
                maximum: float | None = None, strict_minimum: bool = False) -> float:
    """Return ``value`` as a finite ``float`` within bounds.

    ``strict_minimum=True`` excludes the minimum itself (``value > minimum``).

    Examples
    --------
    >>> check_float("lr", 0.1, minimum=0.0, strict_minimum=True)
    0.1
    """
    if isinstance(value, bool) or not isinstance(value, int | float | _np_number()):
        raise ValueError(f"{name} must be a number; got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value!r}")
    if strict_minimum and minimum is not None and value <= minimum:
        raise ValueError(f"{name} must be a number > {minimum}; got {value!r}")
    _check_bounds(name, value, minimum, maximum, "a number")
    return value


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is a ``bool`` (not merely truthy).

    Examples
    --------
    >>> check_bool("augment", True)
    True
    """
    if not isinstance(value, bool | _np_bool()):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def check_sequence(name: str, values: Any, *, item: str = "number", nonempty: bool = True,
                   minimum: float | None = None, strict_minimum: bool = False,
                   unique: bool = False) -> tuple:
    """Return ``values`` as a tuple after checking each item.

    ``item`` is ``"number"`` or ``"int"``.

    Examples
    --------
    >>> check_sequence("step_sizes", [0.25, 0.5], minimum=0.0, strict_minimum=True)
    (0.25, 0.5)
    """
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ValueError(f"{name} must be a sequence of {item}s; got {values!r}")
    values = tuple(values)
    if nonempty and not values:
        raise ValueError(f"{name} must not be empty")
    checked = []
    for i, v in enumerate(values):
        label = f"{name}[{i}]"
        if item == "int":
            checked.append(check_int(label, v, minimum=None if minimum is None else
                                     int(math.floor(minimum)) + (1 if strict_minimum else 0)))
        else:
            checked.append(check_float(label, v, minimum=minimum, strict_minimum=strict_minimum))
    if unique and len(set(checked)) != len(checked):
        raise ValueError(f"{name} must not repeat values; got {values!r}")
    return tuple(checked)


def _check_bounds(name: str, value: float, minimum: float | None, maximum: float | None,
                  kind: str) -> None:
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be {kind} >= {minimum}; got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be {kind} <= {maximum}; got {value!r}")


def _np_integer() -> type:
    import numpy as np

    return np.integer


def _np_number() -> type:
    import numpy as np

    return np.number


def _np_bool() -> type:
    import numpy as np

    return np.bool_


def check_matrix(name: str, X: Any, *, min_rows: int) -> np.ndarray:
    """A 2-D real array (a memmap stays a memmap: nothing is read here)."""
    if hasattr(X, "detach"):  # a torch tensor
        X = X.detach().cpu().numpy()
    if not isinstance(X, np.ndarray):
        X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (rows × columns); got {X.ndim} "
                         f"dimension(s)")
    if not np.issubdtype(X.dtype, np.number) or np.iscomplexobj(X):
        raise ValueError(f"{name} must hold real numbers; got dtype {X.dtype}")
    if X.shape[0] < min_rows or X.shape[1] < 1:
        raise ValueError(f"{name} must have at least {min_rows} rows and 1 column; got "
                         f"shape {X.shape}")
    return X



def check_names(name: str, values: Any,
                 choices: Collection[str] | None = None) -> tuple[str, ...]:
    """A non-empty sequence of distinct names, each among ``choices`` when given."""
    among = f" among {', '.join(map(repr, choices))}" if choices is not None else ""
    if isinstance(values, str):
        values = (values,)
    try:
        values = tuple(values)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of names{among}; got {values!r}") from None
    if not values:
        raise ValueError(f"{name} must be a non-empty sequence of names{among}")
    for i, value in enumerate(values):
        if choices is not None:
            check_choice(f"{name}[{i}]", value, choices)
        elif not isinstance(value, str):
            raise ValueError(f"{name}[{i}] must be a name (a string); got {value!r}")
    if len(set(values)) != len(values):
        raise ValueError(f"{name} must not repeat names; got {values!r}")
    return values



def check_progress(progress: bool | None) -> None:
    """Check a ``progress`` argument: ``None``, ``True`` or ``False``."""
    if progress is not None:
        check_bool("progress", progress)



def progress_disabled(progress: bool | None) -> bool | None:
    """tqdm's ``disable`` for a ``progress`` argument: ``None`` (the default) shows a bar
    only on a terminal, ``True`` always, ``False`` never.

    Examples
    --------
    >>> progress_disabled(None), progress_disabled(True), progress_disabled(False)
    (None, False, True)
    """
    return None if progress is None else not progress


def check_finite_matrix(name: str, array: Any) -> NDArray[np.float64]:
    """A 2-D float64 copy of ``array``, refused unless every entry is finite."""
    try:
        matrix = np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a 2-D array of numbers; got {type(array).__name__}") \
            from error
    if matrix.ndim != 2 or 0 in matrix.shape:
        raise ValueError(f"{name} must be a non-empty 2-D array; got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)):
        raise ValueError(f"{name} must contain only finite numbers")
    return matrix
