"""Solutions to the exercises of Chapter 1 (training: good, bad and memorizing optima).

Each ``exercise_N`` is shown under its exercise in ``book/01-training.md`` and runs at a
tiny scale in ``tests/test_solutions.py``. Its defaults are the chapter's, and it imports
what it uses (the chapter's notebook has ``pd``), so that it runs as shown.
"""

from __future__ import annotations

import pandas as pd


def exercise_1(preset: str = "workshop", train_size: int | None = None,
               epochs: int | None = None) -> pd.DataFrame:
    """Optimizer steps per epoch and over the whole training for each optimum."""
    from helpers import config, presets, train

    rows = {}
    for kind in ("good", "bad", "memorization"):
        chosen = presets.optimum_config(kind, preset,
                                        **config.overrides(train_size=train_size, epochs=epochs))
        images = train.load_training_data(chosen).n_train
        per_epoch = train.steps_per_epoch(chosen, images)
        rows[kind] = {"images": images, "batch size": chosen.batch_size,
                      "steps per epoch": per_epoch, "epochs": chosen.epochs,
                      "steps in all": per_epoch * chosen.epochs}
    return pd.DataFrame(rows).T


def exercise_2(epochs: int = 40, seeds: tuple[int, ...] = (0, 1, 2),
               preset: str = "workshop", train_size: int | None = None) -> pd.DataFrame:
    """Training accuracy of the memorization optimum after every epoch, one column per seed."""
    from helpers import config, train

    configs = train.optima_configs(preset, seeds, kinds=["memorization"],
                                   overrides=config.overrides(epochs=epochs,
                                                              train_size=train_size))
    return pd.DataFrame({seed: train.train(c).history.set_index("epoch")["train_accuracy"]
                         for (_, seed), c in configs.items()}).rename_axis(columns="seed")


def exercise_3(batch_size: int = 64, seeds: tuple[int, ...] = (0, 1, 2),
               preset: str = "workshop", epochs: int | None = None,
               train_size: int | None = None) -> pd.Series:
    """Mean test accuracy of the good, bad and small-batch bad optima, and the gap closed."""
    from helpers import config, train

    configs = train.optima_configs(preset, seeds, kinds=["good", "bad"],
                                   overrides=config.overrides(epochs=epochs,
                                                              train_size=train_size))
    configs.update({("bad, small batches", seed): c.replace(batch_size=batch_size)
                    for (kind, seed), c in list(configs.items()) if kind == "bad"})
    accuracy = train.summarize({name: train.train(c) for name, c in configs.items()}
                               )[("test_accuracy", "mean")]
    closed = ((accuracy["bad, small batches"] - accuracy["bad"])
              / (accuracy["good"] - accuracy["bad"]))
    return pd.concat([accuracy, pd.Series({"share of the gap closed": closed})])
