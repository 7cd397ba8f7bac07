"""Solutions to the exercises of Chapter 2 (jump and retrain).

Each ``exercise_N`` is shown under its exercise in ``book/02-jump-and-retrain.md`` and
runs at a tiny scale in ``tests/test_solutions.py``. Its defaults are the chapter's, and
it imports what it uses (the chapter's notebook has ``pd``), so that it runs as shown.
"""

from __future__ import annotations

import pandas as pd


def exercise_1(seeds: tuple[int, ...] = (0, 1, 2, 3),
               step_sizes: tuple[float, ...] = (0.5, 1.0), epochs: int = 60) -> pd.DataFrame:
    """Where each toy path ends: its loss, distance to the minimum and to the valley floor."""
    import numpy as np

    from helpers import toy_landscape

    valley = toy_landscape.ToyValley()
    paths = toy_landscape.toy_jump_and_retrain(valley, seeds=seeds, step_sizes=step_sizes,
                                               epochs=epochs)
    ends = paths[paths["kind"] != "optimum"].groupby(["seed", "step_size"]).agg(
        jump_loss=("loss", "first"), final_loss=("loss", "last"), u=("u", "last"),
        v=("v", "last"))
    ends["to_minimum"] = np.hypot(ends["u"], ends["v"])
    ends["to_floor"] = (ends["v"] - valley.bend * ends["u"] ** 2).abs()  # the floor: v = bend·u²
    return ends


def exercise_2(optimum: str = "bad", factor: float = 2.0, preset: str = "workshop",
               epochs: int | None = None, train_size: int | None = None,
               directions: tuple[int, ...] | None = None,
               step_sizes: tuple[float, ...] | None = None,
               retrain_epochs: int | None = None) -> pd.DataFrame:
    """Jump distance, jump and final training loss at each step size and ``factor`` times it."""
    from helpers import config, presets, sample_table, sampling, train

    chosen = presets.JUMP_AND_RETRAIN[preset]
    steps = list(chosen["step_sizes"] if step_sizes is None else step_sizes)
    longer = [factor * s for s in steps]
    trained = train.train(presets.optimum_config(
        optimum, preset, **config.overrides(epochs=epochs, train_size=train_size)))
    # Retrains are cached one by one: those at the chapter's step sizes come from its run.
    samples = sampling.jump_and_retrain(
        trained, seeds=chosen["seeds"] if directions is None else directions,
        step_sizes=sorted(set(steps) | set(longer)),
        epochs=chosen["epochs"] if retrain_epochs is None else retrain_epochs,
        steps_per_sample=chosen["steps_per_sample"])
    per_step = sample_table.retraining_summary(samples).groupby("step_size")[
        ["jump_distance", "jump_train_loss", "final_train_loss"]].mean()
    return pd.concat({"chapter's step": per_step.loc[steps].set_axis(steps),
                      f"×{factor:g}": per_step.loc[longer].set_axis(steps)}, axis=1).assign(
        optimum_train_loss=samples.table["train_loss"].iloc[0]).rename_axis("step_size")


def exercise_3(knns: tuple[int, ...] = (5, 30),
               optima: tuple[str, ...] = ("good", "bad", "memorization"),
               preset: str = "workshop", epochs: int | None = None,
               train_size: int | None = None, directions: tuple[int, ...] | None = None,
               step_sizes: tuple[float, ...] | None = None,
               retrain_epochs: int | None = None) -> pd.DataFrame:
    """Pieces of PHATE's kNN graph and the star score for each optimum and neighbourhood."""
    from helpers import config, embedding, presets, sample_table, sampling, train

    chosen = presets.jump_and_retrain_settings(preset, directions=directions,
                                               step_sizes=step_sizes,
                                               retrain_epochs=retrain_epochs,
                                               phate_knn=max(knns))["sampling"]
    rows = []
    for kind in optima:
        trained = train.train(presets.optimum_config(
            kind, preset, **config.overrides(epochs=epochs, train_size=train_size)))
        samples = sampling.jump_and_retrain(trained, **chosen)
        for knn in knns:
            phate = embedding.embed(samples.parameters, "phate", metric="cosine",
                                    random_state=0, knn=knn)
            rows.append({"optimum": kind, "knn": knn,
                         "components": phate.diagnostics["n_connected_components"],
                         "star score": sample_table.star_score(samples.table,
                                                               phate.coordinates)})
    return pd.DataFrame(rows).set_index(["optimum", "knn"])
