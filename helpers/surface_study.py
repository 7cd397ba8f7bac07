"""Chapter 7's study: Hessian spectra and loss surfaces of trained networks, cached.

For each trained network (:func:`helpers.train.train`), :func:`analyze_optimum`
computes

1. its Hessian spectrum (:class:`helpers.hessian.HessianSpectrum`: top eigenvalues,
   Hutchinson trace, SLQ density) on the first ``hessian_samples`` training images;
2. its loss surfaces (:func:`helpers.surfaces.loss_surface`) along random and Hessian
   directions on the first ``eval_samples`` training images;
3. the merge tree of each surface's grid graph and 002's summaries of it
   (:func:`helpers.surfaces.tree_metrics`).

Steps 1 and 2 are stored in the artifact cache (``data/cache/hessian-spectrum`` and
``data/cache/loss-surface``), keyed by the configuration, a hash of the trained
weights, the settings they depend on and the source of the computing code.
:class:`SurfaceSettings` holds every setting under Chapter 7's parameter names;
:func:`analyze` runs many networks into one table; :func:`residual_comparison` and
:func:`helpers.surface_report.comparison_sentence` say whether Xie et al.'s
residual-versus-plain finding
holds.

Examples
--------
>>> settings = SurfaceSettings(resolution=11, directions=["random"])
>>> settings.n_points, settings.surface_fields("random")["extent"]
(121, 1.0)
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch

import helpers.directions
import helpers.flat_parameters
import helpers.hessian
import helpers.surfaces
import helpers.topology
from helpers.cache import ArtifactCache, code_version
from helpers.checks import check_bool, check_choice, check_float, check_int, check_sequence
from helpers.config import TrainConfig
from helpers.presets import PRESETS, optimum_config
from helpers.surfaces import CONNECTIVITIES, DIRECTION_KINDS, Surface
from helpers.train import TrainResult, load_training_data, train

EVALUATIONS = ("auto", "loop", "vmap")
ARCHITECTURES = ("residual", "plain")

#: Settings of each preset. ``"workshop"`` fits Chapter 7's CPU budget: ResNet-20 (the
#: paper's depth; in trial runs at depth 8 and 14 the architectures did not differ
#: consistently) on 300 digits for 40 epochs, two seeds, 15 × 15 surfaces and the
#: Hessian both on the first 128 training images (so that the Hessian is the curvature
#: of the very surface drawn), 10 Hutchinson probes, 2 SLQ probes of 15 steps.
#: ``"paper"``: ResNet-20 on CIFAR-10 over four seeds (Xie et al.), 51 × 51 surfaces on
#: the whole training set (Li et al.), and PyHessian's settings: the Hessian on one batch
#: of 200, 100 Hutchinson probes, 100 Lanczos steps for the density.
PRESET_SETTINGS: dict[str, dict[str, Any]] = {
    "workshop": {"depth": 20, "train_epochs": 40, "seeds": (0, 1), "resolution": 15,
                 "extent": 1.0, "hessian_extent": 0.5, "eval_samples": 128,
                 "hessian_samples": 128, "top_k": 2, "eigen_iter": 40, "trace_probes": 10,
                 "density_probes": 2, "density_steps": 15},
    "paper": {"depth": 20, "train_epochs": None, "seeds": (0, 1, 2, 3), "resolution": 51,
              "extent": 1.0, "hessian_extent": 0.5, "eval_samples": None,
              "hessian_samples": 200, "top_k": 2, "eigen_iter": 100, "trace_probes": 100,
              "density_probes": 1, "density_steps": 100},
}
_WORKSHOP = PRESET_SETTINGS["workshop"]

#: Columns of :func:`analyze`'s table besides the network's key and configuration.
METRICS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "top_eigenvalue",
           "second_eigenvalue", "trace", "trace_stderr", "gradient_norm", "hessian_products",
           "n_minima", "n_saddles", "average_persistence", "closed_average_persistence",
           "max_persistence", "loss_range")


@dataclass(frozen=True)
class SurfaceSettings:
    """Every setting of the surfaces and Hessian metrics of one network.

    Field names are Chapter 7's parameter names, so a bad value is reported under the
    name the reader typed. The defaults are the workshop preset's.

    Parameters
    ----------
    resolution : int
        Grid points per axis, odd (so the optimum is a grid point), ``>= 3``.
    extent : float
        Random-direction surfaces span ``[-extent, extent]²`` (filter-normalized units).
    hessian_extent : float
        Hessian-direction surfaces span ``[-hessian_extent, hessian_extent]²``.
    directions : sequence of {"random", "hessian"}
        The surfaces to evaluate.
    direction_seed : int
        The random directions use seeds ``direction_seed`` and ``direction_seed + 1``.
    connectivity : {4, 8}
        Neighbours of a grid vertex in the merge tree's graph.
    eval_samples, hessian_samples : int or None
        The first this many training images evaluate the surfaces / the Hessian
        (``None``: all). The training subsets are class-balanced prefixes.
    top_k : int
        Hessian eigenvalues to find (``>= 2`` when ``"hessian"`` surfaces are drawn).
    eigen_method : {"lanczos", "power"}
    eigen_iter : int
        Products allowed to the eigenvalues (see :func:`helpers.hessian.top_eigenvalues`).
    trace_probes, density_probes, density_steps : int
        Hutchinson probes, SLQ probes and Lanczos steps per SLQ probe.
    probe_seed : int
        Seed of the Hessian's random vectors.
    evaluation : {"auto", "loop", "vmap"}
        How surface points are evaluated (:func:`helpers.directions.evaluate_along`);
        ``"auto"``: a loop on the CPU, where it is the faster, vmap elsewhere. Not part
        of the cache key: both give the same numbers to rounding.

    Examples
    --------
    >>> SurfaceSettings(resolution=11).n_points
    121
    >>> SurfaceSettings(resolution=10)
    Traceback (most recent call last):
    ...
    ValueError: resolution must be an odd integer >= 3 (the optimum is the centre); got 10
    """

    resolution: int = _WORKSHOP["resolution"]
    extent: float = _WORKSHOP["extent"]
    hessian_extent: float = _WORKSHOP["hessian_extent"]
    directions: tuple[str, ...] = DIRECTION_KINDS
    direction_seed: int = 0
    connectivity: int = 4
    eval_samples: int | None = _WORKSHOP["eval_samples"]
    hessian_samples: int | None = _WORKSHOP["hessian_samples"]
    top_k: int = _WORKSHOP["top_k"]
    eigen_method: str = "lanczos"
    eigen_iter: int = _WORKSHOP["eigen_iter"]
    trace_probes: int = _WORKSHOP["trace_probes"]
    density_probes: int = _WORKSHOP["density_probes"]
    density_steps: int = _WORKSHOP["density_steps"]
    probe_seed: int = 0
    evaluation: str = field(default="auto", compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        resolution = check_int("resolution", self.resolution, minimum=3)
        if resolution % 2 == 0:
            raise ValueError(f"resolution must be an odd integer >= 3 (the optimum is the "
                             f"centre); got {resolution}")
        set_(self, "resolution", resolution)
        for name in ("extent", "hessian_extent"):
            set_(self, name, check_float(name, getattr(self, name), minimum=0.0,
                                         strict_minimum=True))
        kinds = [self.directions] if isinstance(self.directions, str) else self.directions
        kinds = tuple(kinds) if isinstance(kinds, Sequence) else ()
        if not kinds or any(k not in DIRECTION_KINDS for k in kinds) or len(set(kinds)) != len(
                kinds):
            raise ValueError(f"directions must list kinds from {DIRECTION_KINDS} without "
                             f"repeats; got {self.directions!r}")
        set_(self, "directions", kinds)
        set_(self, "direction_seed", check_int("direction_seed", self.direction_seed, minimum=0))
        set_(self, "connectivity", check_choice("connectivity", self.connectivity,
                                                CONNECTIVITIES))
        for name in ("eval_samples", "hessian_samples"):
            if getattr(self, name) is not None:
                set_(self, name, check_int(name, getattr(self, name), minimum=1))
        set_(self, "top_k", check_int("top_k", self.top_k,
                                      minimum=2 if "hessian" in kinds else 1))
        check_choice("eigen_method", self.eigen_method, helpers.hessian.EIGEN_METHODS)
        for name in ("eigen_iter", "trace_probes", "density_probes", "density_steps"):
            set_(self, name, check_int(name, getattr(self, name), minimum=1))
        set_(self, "probe_seed", check_int("probe_seed", self.probe_seed, minimum=0))
        check_choice("evaluation", self.evaluation, EVALUATIONS)

    @property
    def n_points(self) -> int:
        """Points of one surface, ``resolution²``."""
        return self.resolution ** 2

    def spectrum(self) -> helpers.hessian.HessianSpectrum:
        """The unfitted :class:`helpers.hessian.HessianSpectrum` of these settings."""
        return helpers.hessian.HessianSpectrum(
            top_k=self.top_k, method=self.eigen_method, max_iter=self.eigen_iter,
            trace_probes=self.trace_probes, density_probes=self.density_probes,
            density_steps=self.density_steps, random_state=self.probe_seed)

    def spectrum_fields(self) -> dict[str, Any]:
        """The settings a Hessian spectrum depends on (its cache key)."""
        return {"hessian_samples": self.hessian_samples, "top_k": self.top_k,
                "eigen_method": self.eigen_method, "eigen_iter": self.eigen_iter,
                "trace_probes": self.trace_probes, "density_probes": self.density_probes,
                "density_steps": self.density_steps, "probe_seed": self.probe_seed}

    def surface_fields(self, kind: str) -> dict[str, Any]:
        """The settings a surface of ``kind`` depends on (its cache key)."""
        fields = {"kind": kind, "resolution": self.resolution,
                  "eval_samples": self.eval_samples}
        if kind == "random":
            return {**fields, "extent": self.extent, "direction_seed": self.direction_seed}
        return {**fields, "extent": self.hessian_extent, "spectrum": self.spectrum_fields()}


def preset_settings(preset_name: str = "workshop", **overrides: Any) -> dict[str, Any]:
    """A preset's settings (:data:`PRESET_SETTINGS`) with the overrides that are not ``None``.

    Parameters
    ----------
    preset_name : {"workshop", "paper"}
    **overrides
        Any key of :data:`PRESET_SETTINGS` or field of :class:`SurfaceSettings`;
        ``None`` keeps the preset's value. Every value is checked here, under its name.

    Returns
    -------
    dict
        ``settings`` (a :class:`SurfaceSettings`), ``depth`` (of the ResNets),
        ``train_epochs`` (``None``: the training preset's own) and ``seeds``.

    Examples
    --------
    >>> chosen = preset_settings("workshop", resolution=31, connectivity=8)
    >>> chosen["settings"].resolution, chosen["settings"].connectivity, chosen["depth"]
    (31, 8, 20)
    >>> preset_settings("paper", depth=None)["depth"]
    20
    """
    chosen = dict(PRESET_SETTINGS[check_choice("preset", preset_name, PRESETS)])
    accepted = set(chosen) | set(SurfaceSettings.__dataclass_fields__)
    unknown = sorted(set(overrides) - accepted)
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}; accepted: {sorted(accepted)}")
    chosen.update({k: v for k, v in overrides.items() if v is not None})
    run = {name: chosen.pop(name) for name in ("depth", "train_epochs", "seeds")}
    run["depth"] = check_int("depth", run["depth"], minimum=8)
    if run["train_epochs"] is not None:
        run["train_epochs"] = check_int("train_epochs", run["train_epochs"], minimum=1)
    run["seeds"] = check_sequence("seeds", run["seeds"], item="int", minimum=0, unique=True)
    return {"settings": SurfaceSettings(**chosen), **run}


def residual_configs(preset_name: str = "workshop", *, depth: int = 20,
                     seeds: Sequence[int] = (0, 1), **overrides: Any
                     ) -> dict[tuple[str, int], TrainConfig]:
    """The preset's good optimum as a ResNet with (``"residual"``) and without (``"plain"``) skips.

    Parameters
    ----------
    preset_name : {"workshop", "paper"}
    depth : int
        ResNet depth, 6n+2.
    seeds : sequence of int
        Seeds of each architecture.
    **overrides
        Further :class:`helpers.config.TrainConfig` fields (``epochs``, ``device``, ...).

    Returns
    -------
    dict mapping ``(architecture, seed)`` to TrainConfig

    Examples
    --------
    >>> configs = residual_configs(depth=8, seeds=[0])
    >>> [(key, c.label) for key, c in configs.items()]  # doctest: +NORMALIZE_WHITESPACE
    [(('residual', 0), 'ResNet-8 digits/300'), (('plain', 0), 'ResNet-8 (no skip) digits/300')]
    """
    seeds = check_sequence("seeds", seeds, item="int", minimum=0, unique=True)
    return {(arch, seed): optimum_config("good", preset_name, seed=seed, model="resnet",
                                         depth=depth, widen_factor=1,
                                         residual=arch == "residual", **overrides)
            for arch in ARCHITECTURES for seed in seeds}


# --- one network: cached spectrum and surfaces -------------------------------------------

@dataclass
class SurfaceAnalysis:
    """Everything Chapter 7 computes about one trained network.

    Attributes
    ----------
    config : TrainConfig
    optimum : TrainResult
    spectrum : helpers.hessian.HessianSpectrum
        Fitted (eigenvectors included).
    surfaces : dict of str to Surface
        By kind, as in ``settings.directions``.
    trees : dict of str to helpers.topology.MergeTree
        The merge tree of each surface on the settings' grid graph.
    metrics : dict
        :data:`METRICS` with each surface's tree metrics suffixed by its kind
        (``n_saddles_random``, ...).
    seconds : dict
        Compute time of the ``"spectrum"`` and of each surface (by kind) when first computed.
    hessian_meta : dict
        :func:`optimum_spectrum`'s metadata (loss, gradient norm and slopes on the
        Hessian's samples, products spent).
    settings : SurfaceSettings or None
        The settings it was computed with.
    """

    config: TrainConfig
    optimum: TrainResult
    spectrum: helpers.hessian.HessianSpectrum
    surfaces: dict[str, Surface]
    trees: dict[str, helpers.topology.MergeTree]
    metrics: dict[str, Any]
    seconds: dict[str, float]
    hessian_meta: dict[str, Any] = field(default_factory=dict)
    settings: SurfaceSettings | None = None


def _state_digest(optimum: TrainResult) -> str:
    """A hash of the trained weights, so that another network with the same config is not
    served this one's results."""
    digest = hashlib.sha256()
    for name, tensor in optimum.state.items():
        array = np.ascontiguousarray(tensor.detach().cpu().numpy())
        digest.update(f"{name}:{array.dtype}:{array.shape}:".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


def _subset(tensor: torch.Tensor, n: int | None) -> torch.Tensor:
    return tensor if n is None else tensor[:n]


def _code() -> str:
    # This module and every module it imports: training, directions, Hessian, surfaces.
    return code_version(sys.modules[__name__])


_SPECTRUM_ARRAYS = ("eigenvalues", "eigenvectors", "trace_samples", "density_nodes",
                    "density_weights")


def _compute_spectrum(optimum: TrainResult, settings: SurfaceSettings
                      ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    dataset = load_training_data(optimum.config)
    model = optimum.model(dataset)
    operator = helpers.hessian.HessianOperator(
        model, _subset(dataset.train_x, settings.hessian_samples),
        _subset(dataset.train_y, settings.hessian_samples), device=optimum.config.device)
    started = time.perf_counter()
    spectrum = settings.spectrum().fit(operator)
    loss, gradient = operator.loss_and_gradient()
    arrays = {name: getattr(spectrum, f"{name}_") for name in _SPECTRUM_ARRAYS}
    # Slope of the loss along each eigenvector, for the quadratic model of the slices.
    slopes = spectrum.eigenvectors_.astype(np.float64) @ gradient
    return arrays, {"n_products": spectrum.n_products_, "hessian_loss": loss,
                    "samples": len(operator.x),
                    "gradient_norm": float(np.linalg.norm(gradient)),
                    "slopes": slopes.tolist(), "seconds": time.perf_counter() - started}


def optimum_spectrum(optimum: TrainResult, settings: SurfaceSettings, *,
                     cache: ArtifactCache | None = None
                     ) -> tuple[helpers.hessian.HessianSpectrum, dict[str, Any]]:
    """The fitted Hessian spectrum of a trained network (cached).

    Returns
    -------
    spectrum : helpers.hessian.HessianSpectrum
        Its attributes restored from the cache.
    meta : dict
        ``n_products``, ``hessian_loss`` (the loss on the Hessian's samples),
        ``gradient_norm`` there, ``slopes`` (the gradient along each eigenvector),
        ``seconds``.
    """
    _check_inputs(optimum, settings)
    cache = cache or ArtifactCache()
    fields = {"optimum": optimum.config.to_dict(), "state": _state_digest(optimum),
              **settings.spectrum_fields()}
    artifact = cache.get_or_compute("hessian-spectrum", fields,
                                    lambda: _compute_spectrum(optimum, settings), code=_code())
    spectrum = settings.spectrum().set_results(
        **{name: np.asarray(artifact[name]) for name in _SPECTRUM_ARRAYS},
        n_products=artifact.meta["n_products"])
    return spectrum, dict(artifact.meta)


def _compute_surface(optimum: TrainResult, settings: SurfaceSettings, kind: str,
                     directions: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    dataset = load_training_data(optimum.config)
    device = optimum.config.device
    evaluation = settings.evaluation
    if evaluation == "auto":
        # benchmarks/bench_surface.py: one forward pass per point is the faster on CPUs.
        evaluation = "loop" if device == "cpu" else "vmap"
    extent = settings.extent if kind == "random" else settings.hessian_extent
    surface = helpers.surfaces.loss_surface(
        optimum.model(dataset), _subset(dataset.train_x, settings.eval_samples),
        _subset(dataset.train_y, settings.eval_samples), directions,
        resolution=settings.resolution, extent=extent, kind=kind, evaluation=evaluation,
        device=device)
    arrays = {"a": surface.a, "b": surface.b, "loss": surface.loss, "accuracy": surface.accuracy}
    return arrays, {"seconds": surface.seconds}


def optimum_surface(optimum: TrainResult, settings: SurfaceSettings, kind: str = "random", *,
                    spectrum: helpers.hessian.HessianSpectrum | None = None,
                    cache: ArtifactCache | None = None) -> Surface:
    """The loss surface of a trained network along ``kind`` directions (cached).

    ``kind="hessian"`` uses the top two eigenvectors of ``spectrum`` (computed with
    :func:`optimum_spectrum` when not given).
    """
    _check_inputs(optimum, settings)
    check_choice("kind", kind, DIRECTION_KINDS)
    cache = cache or ArtifactCache()

    def directions() -> np.ndarray:
        if kind == "random":
            seed = settings.direction_seed
            return helpers.directions.random_directions(optimum.model(), [seed, seed + 1])
        fitted = spectrum if spectrum is not None else optimum_spectrum(optimum, settings,
                                                                        cache=cache)[0]
        return fitted.eigenvectors_[:2]

    fields = {"optimum": optimum.config.to_dict(), "state": _state_digest(optimum),
              **settings.surface_fields(kind)}
    artifact = cache.get_or_compute(
        "loss-surface", fields, lambda: _compute_surface(optimum, settings, kind, directions()),
        code=_code())
    return Surface(kind, np.asarray(artifact["a"]), np.asarray(artifact["b"]),
                   np.asarray(artifact["loss"]), np.asarray(artifact["accuracy"]),
                   float(artifact.meta["seconds"]))


def _check_inputs(optimum: Any, settings: Any) -> None:
    if not isinstance(optimum, TrainResult):
        raise ValueError(f"optimum must be a TrainResult (from helpers.train.train); "
                         f"got {type(optimum).__name__}")
    if optimum.diverged:
        raise ValueError(f"the network {optimum.config.label} diverged in epoch "
                         f"{optimum.diverged_epoch}; there is no optimum to look around")
    if not isinstance(settings, SurfaceSettings):
        raise ValueError(f"settings must be a SurfaceSettings; got {type(settings).__name__}")


def analyze_optimum(config: TrainConfig, settings: SurfaceSettings, *,
                    progress: bool | None = None, download: bool = False,
                    cache: ArtifactCache | None = None) -> SurfaceAnalysis:
    """Train (or load) ``config``, then its Hessian spectrum, surfaces and their merge trees.

    Every heavy step is cached: training by :func:`helpers.train.train`, the spectrum
    and each surface here, keyed by the configuration, the trained weights, the
    settings they depend on and the code that computes them.
    """
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig; got {type(config).__name__}")
    optimum = train(config, progress=progress, download=download, cache=cache)
    spectrum, meta = optimum_spectrum(optimum, settings, cache=cache)
    surfaces = {kind: optimum_surface(optimum, settings, kind, spectrum=spectrum, cache=cache)
                for kind in settings.directions}
    trees = {}
    final = optimum.final
    metrics: dict[str, Any] = {
        **{m: float(final[m]) for m in ("train_loss", "train_accuracy", "test_loss",
                                        "test_accuracy")},
        "top_eigenvalue": float(spectrum.eigenvalues_[0]),
        "second_eigenvalue": (float(spectrum.eigenvalues_[1]) if spectrum.eigenvalues_.size > 1
                              else float("nan")),
        "trace": spectrum.trace_, "trace_stderr": spectrum.trace_stderr_,
        "gradient_norm": meta["gradient_norm"],
        "hessian_products": int(sum(spectrum.n_products_.values()))}
    for kind, surface in surfaces.items():
        finite = np.where(np.isfinite(surface.loss), surface.loss,
                          np.nanmax(np.where(np.isfinite(surface.loss), surface.loss, np.nan)))
        trees[kind] = helpers.surfaces.surface_merge_tree(finite, settings.connectivity)
        metrics.update({f"{name}_{kind}": value
                        for name, value in helpers.surfaces.tree_metrics(trees[kind]).items()})
    seconds = {"spectrum": float(meta["seconds"]),
               **{kind: surface.seconds for kind, surface in surfaces.items()}}
    return SurfaceAnalysis(config, optimum, spectrum, surfaces, trees, metrics, seconds, meta,
                           settings)


def analyze(configs: Mapping[Any, TrainConfig], settings: SurfaceSettings, *,
            progress: bool | None = None, download: bool = False,
            cache: ArtifactCache | None = None) -> tuple[dict[Any, SurfaceAnalysis],
                                                         pd.DataFrame]:
    """:func:`analyze_optimum` for several networks, and one table of their metrics.

    Parameters
    ----------
    configs : mapping
        A key per network (a name, or a tuple such as ``(architecture, seed)``) to its
        configuration; every configuration is checked before anything is trained.

    Returns
    -------
    analyses : dict
        Key to :class:`SurfaceAnalysis`.
    table : pandas.DataFrame
        One row per network: ``key`` (tuples are split into ``key_0, key_1, ...``), the
        configuration's ``label`` and ``seed``, and the metrics.
    """
    if not isinstance(configs, Mapping) or not configs:
        raise ValueError("configs must be a non-empty mapping of names to TrainConfig")
    bad = [key for key, value in configs.items() if not isinstance(value, TrainConfig)]
    if bad:
        raise ValueError(f"configs must map names to TrainConfig; not so for {bad}")
    if not isinstance(settings, SurfaceSettings):
        raise ValueError(f"settings must be a SurfaceSettings; got {type(settings).__name__}")
    analyses = {key: analyze_optimum(config, settings, progress=progress, download=download,
                                     cache=cache) for key, config in configs.items()}
    rows = []
    for key, analysis in analyses.items():
        parts = key if isinstance(key, tuple) else (key,)
        rows.append({**{f"key_{i}": part for i, part in enumerate(parts)},
                     "label": analysis.config.label, "seed": analysis.config.seed,
                     **analysis.metrics})
    return analyses, pd.DataFrame(rows)



def tree_table(trees: Mapping[str, helpers.topology.MergeTree]) -> pd.DataFrame:
    """:func:`helpers.surfaces.tree_metrics` of several merge trees, one row each.

    Examples
    --------
    >>> tree = helpers.surfaces.surface_merge_tree(np.array([[0.0, 2.0, 1.0]]))
    >>> tree_table({"line": tree})[["vertices", "n_minima", "n_saddles"]].values.tolist()
    [[3, 2, 1]]
    """
    rows = [{"vertices": int(tree.values.size), **helpers.surfaces.tree_metrics(tree)}
            for tree in trees.values()]
    return pd.DataFrame(rows, index=list(trees))


def quadratic_slices(analysis: SurfaceAnalysis) -> pd.DataFrame:
    """The Hessian surface's slices through the optimum beside their quadratic model.

    Along the unit eigenvector ``v_k`` the second-order Taylor model of the loss is
    ``L(t) ≈ L₀ + t g·v_k + ½ λ_k t²``, with ``L₀``, ``g`` and ``λ_k`` measured on the
    Hessian's samples. When the surface is evaluated on the same samples
    (``eval_samples == hessian_samples``) the slices must touch this parabola at
    ``t = 0``: an independent check of the eigenvalues.

    Returns
    -------
    pandas.DataFrame
        :meth:`helpers.surfaces.Surface.slices` of the ``"hessian"`` surface with ``model`` added.
    """
    if not isinstance(analysis, SurfaceAnalysis) or "hessian" not in analysis.surfaces:
        raise ValueError("analysis must be a SurfaceAnalysis with a 'hessian' surface")
    slices = analysis.surfaces["hessian"].slices()
    k = slices["direction"].to_numpy() - 1
    values = analysis.spectrum.eigenvalues_[k]
    slopes = np.asarray(analysis.hessian_meta["slopes"])[k]
    t = slices["t"].to_numpy()
    return slices.assign(model=analysis.hessian_meta["hessian_loss"] + slopes * t
                         + 0.5 * values * t ** 2)


def slice_curvatures(slices: pd.DataFrame) -> pd.DataFrame:
    """Curvature of the Hessian slices at the optimum against the eigenvalues.

    The second difference ``(L(h) - 2 L(0) + L(-h)) / h²`` over the grid's first step
    ``h``, of the measured slice and of its quadratic model (which is exactly ``λ_k``).

    Parameters
    ----------
    slices : pandas.DataFrame
        :func:`helpers.surface_charts.slices_frame`; only Hessian slices with a model are used.

    Returns
    -------
    pandas.DataFrame
        ``network, direction, step, measured, eigenvalue, ratio``.

    Examples
    --------
    >>> t = np.array([-0.2, -0.1, 0.0, 0.1, 0.2])
    >>> frame = pd.DataFrame({"network": "n", "kind": "hessian", "direction": 1, "t": t,
    ...                       "loss": 1 + 2 * t ** 2, "model": 1 + 2 * t ** 2})
    >>> slice_curvatures(frame)[["measured", "eigenvalue", "ratio"]].round(6).values.tolist()
    [[4.0, 4.0, 1.0]]
    """
    rows = []
    usable = slices[(slices["kind"] == "hessian") & slices["model"].notna()]
    for (network, direction), group in usable.groupby(["network", "direction"], sort=False):
        group = group.sort_values("t")
        t = group["t"].to_numpy()
        centre = int(np.argmin(np.abs(t)))
        if centre == 0 or centre == len(t) - 1:
            continue
        step = float(t[centre + 1] - t[centre])

        def second(values: np.ndarray, c: int = centre, h: float = step) -> float:
            return float((values[c + 1] - 2 * values[c] + values[c - 1]) / h ** 2)

        measured, eigenvalue = second(group["loss"].to_numpy()), second(group["model"].to_numpy())
        rows.append({"network": network, "direction": int(direction), "step": step,
                     "measured": measured, "eigenvalue": eigenvalue,
                     "ratio": measured / eigenvalue if eigenvalue else float("nan")})
    return pd.DataFrame(rows, columns=["network", "direction", "step", "measured",
                                       "eigenvalue", "ratio"])


def check_switches(*, torch_threads: int, compare_jr: bool, download: bool,
                   optima_epochs: int | None = None) -> None:
    """Check Chapter 7's parameters that are not settings of the analysis.

    Examples
    --------
    >>> check_switches(torch_threads=0, compare_jr=True, download=False)
    Traceback (most recent call last):
    ...
    ValueError: torch_threads must be an integer >= 1; got 0
    """
    check_int("torch_threads", torch_threads, minimum=1)
    check_bool("compare_jr", compare_jr)
    check_bool("download", download)
    if optima_epochs is not None:
        check_int("optima_epochs", optima_epochs, minimum=1)


# --- residual against plain ------------------------------------------------------------

#: 002's finding, metric by metric: +1 where the plain network's value should be the
#: higher, -1 where the lower (Xie et al.: more saddles and lower average persistence
#: without residual connections; Yao et al.: larger top eigenvalue and trace). Average
#: persistence is read with each essential pair closed at the maximum
#: (:func:`helpers.surfaces.closed_pairs`): with only finite pairs, a landscape of a single
#: basin, as 002 found with skips, would have no average persistence to decrease from.
PAPER_FINDING = {"n_saddles": 1, "closed_average_persistence": -1, "top_eigenvalue": 1,
                 "trace": 1}

def residual_comparison(table: pd.DataFrame, kinds: Sequence[str] = ("random",)
                        ) -> pd.DataFrame:
    """Residual against plain networks, metric by metric, against 002's finding.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`analyze`'s table of :func:`residual_configs`: ``key_0`` the architecture,
        ``seed``, and the metrics.
    kinds : sequence of {"random", "hessian"}
        The surfaces whose merge-tree metrics are compared.

    Returns
    -------
    pandas.DataFrame
        One row per metric (``n_saddles_<kind>``, ``closed_average_persistence_<kind>``,
        ``top_eigenvalue``, ``trace``): ``residual`` and ``plain`` means over seeds,
        ``expected`` (+1: plain higher; -1: plain lower), ``outcome`` ("holds",
        "reversed" or "equal" for the means), ``seeds_higher`` and ``seeds_lower``
        (seeds whose plain network is above / below the residual one of the same seed)
        and ``seeds`` (seeds with both).

    Examples
    --------
    >>> t = pd.DataFrame({"key_0": ["residual", "plain"] * 2, "seed": [0, 0, 1, 1],
    ...                   "n_saddles_random": [0, 3, 1, 1], "top_eigenvalue": [5.0, 9.0, 4.0, 8.0],
    ...                   "trace": [50.0, 40.0, 60.0, 30.0],
    ...                   "closed_average_persistence_random": [0.0, 0.1, 0.2, 0.2]})
    >>> residual_comparison(t)[["metric", "outcome", "seeds_higher"]].values.tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    [['n_saddles_random', 'holds', 1], ['closed_average_persistence_random', 'reversed', 1],
     ['top_eigenvalue', 'holds', 2], ['trace', 'reversed', 0]]
    """
    kinds = [check_choice("kinds", k, DIRECTION_KINDS) for k in kinds]
    metrics = {**{f"{name}_{kind}": PAPER_FINDING[name] for kind in kinds
                  for name in ("n_saddles", "closed_average_persistence")},
               "top_eigenvalue": PAPER_FINDING["top_eigenvalue"], "trace": PAPER_FINDING["trace"]}
    missing = [c for c in ("key_0", "seed", *metrics) if c not in table.columns]
    if missing:
        raise ValueError(f"table must have the columns {missing}")
    if set(table["key_0"]) != set(ARCHITECTURES):
        raise ValueError(f"table must hold both architectures {ARCHITECTURES} in key_0; "
                         f"got {sorted(set(table['key_0']))}")
    wide = table.pivot_table(index="seed", columns="key_0", values=list(metrics))
    rows = []
    for metric, expected in metrics.items():
        residual, plain = wide[(metric, "residual")], wide[(metric, "plain")]
        difference = float(plain.mean() - residual.mean())
        outcome = ("equal" if difference == 0 else
                   "holds" if np.sign(difference) == expected else "reversed")
        rows.append({"metric": metric, "residual": float(residual.mean()),
                     "plain": float(plain.mean()), "expected": expected, "outcome": outcome,
                     "seeds_higher": int((plain > residual).sum()),
                     "seeds_lower": int((plain < residual).sum()),
                     "seeds": int((plain.notna() & residual.notna()).sum())})
    return pd.DataFrame(rows)
