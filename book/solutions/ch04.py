"""Solutions to the exercises of Chapter 4 (persistence).

Each ``exercise_N`` is shown under its exercise in ``book/04-persistence.md`` and runs
at a tiny scale in ``tests/test_solutions.py``. Its defaults are the chapter's, and it
imports what it uses (the chapter's notebook has ``pd``), so that it runs as shown.
"""

from __future__ import annotations

import pandas as pd


def exercise_1(values: tuple[float, ...] = (0.0, 2.0, 0.5, 3.0, 1.0, 2.5, 1.5)
               ) -> pd.DataFrame:
    """The H0 pairs of a path's sub-level filtration by a union-find with the elder rule."""
    import numpy as np

    order = np.argsort(values, kind="stable")
    parent: dict[int, int] = {}

    def root(vertex: int) -> int:
        while parent[vertex] != vertex:
            parent[vertex] = parent[parent[vertex]]
            vertex = parent[vertex]
        return vertex

    pairs = []
    for vertex in map(int, order):
        parent[vertex] = vertex
        for neighbour in (vertex - 1, vertex + 1):  # a path: the neighbours are i ± 1
            if neighbour not in parent:
                continue  # not yet revealed
            a, b = root(vertex), root(neighbour)
            if a == b:
                continue
            # Elder rule: the component with the higher minimum dies at this value.
            young, old = (a, b) if values[a] > values[b] else (b, a)
            if values[young] < values[vertex]:  # a vertex joining is no birth and death
                pairs.append((values[young], values[vertex]))
            parent[young] = old
    oldest = root(int(order[0]))
    pairs.append((values[oldest], float("inf")))
    return pd.DataFrame(pairs, columns=["birth", "death"]).sort_values(
        ["birth", "death"], ignore_index=True)


def exercise_2(optima: tuple[str, ...] = ("good", "bad", "memorization"),
               preset: str = "workshop", train_epochs: int | None = None,
               train_size: int | None = None, directions: tuple[int, ...] | None = None,
               retrain_epochs: int | None = None, knn: int | None = None,
               phate_knn: int = 15) -> pd.DataFrame:
    """Total persistence of H0 around each optimum with the essential bar dropped or closed."""
    from helpers import config, pipeline, presets, topology

    settings = presets.feature_settings(preset, seeds=directions, epochs=retrain_epochs,
                                        knn=knn, train_epochs=train_epochs)
    training = config.overrides(epochs=settings["train_epochs"], train_size=train_size)
    rows = {}
    for kind in optima:
        task = pipeline.FeatureTask(presets.optimum_config(kind, preset, **training),
                                    **settings["task"], phate_knn=phate_knn)
        features = pipeline.compute_features(task)  # Fig. 3A's run, read from the cache
        h0 = features.diagrams[0]
        top = float(features.values.max())
        drop = topology.total_persistence(h0, essential="drop")
        closed = topology.total_persistence(h0, essential="cap", cap=top)
        rows[kind] = {"drop": drop, "max": closed, "essential bar": closed - drop,
                      "share of the bar": (closed - drop) / closed if closed else float("nan"),
                      "loss spread squared": (top - float(features.values.min())) ** 2}
    return pd.DataFrame(rows).T


def exercise_3(preset: str = "workshop", zoo_settings: dict | None = None,
               column: str = "total_persistence_h0_drop_train") -> pd.DataFrame:
    """Which factor of the zoo moves total persistence most: medians and a Kruskal–Wallis test."""
    from scipy import stats

    from helpers import zoo

    result = zoo.chapter_zoo(preset, zoo_settings).run()  # the chapter's zoo, from the cache
    table = result.table.dropna(subset=[column])
    rows = []
    for factor, levels in result.definition.grid_items:
        if len(levels) < 2:
            continue
        groups = [table.loc[table[factor] == level, column] for level in levels]
        medians = ", ".join(f"{level}: {group.median():.3g}"
                            for level, group in zip(levels, groups, strict=True))
        rows.append({"factor": factor, "medians": medians,
                     "p_value": stats.kruskal(*groups).pvalue})
    return pd.DataFrame(rows).sort_values("p_value", ignore_index=True)
