"""Solutions to the exercises of Chapter 3 (seeing trajectories).

Each ``exercise_N`` is shown under its exercise in ``book/03-seeing-trajectories.md`` and
runs at a tiny scale in ``tests/test_solutions.py``. Its defaults are the chapter's, and
it imports what it uses (the chapter's notebook has ``pd``), so that it runs as shown.
"""

from __future__ import annotations

import pandas as pd


def exercise_1(optima: tuple[str, ...] = ("good", "bad", "memorization"),
               methods: tuple[str, ...] = ("phate", "tsne", "umap", "pca", "random_plane"),
               metrics: tuple[str, ...] = ("euclidean", "cosine"), preset: str = "workshop",
               epochs: int | None = None, train_size: int | None = None,
               directions: tuple[int, ...] | None = None,
               step_sizes: tuple[float, ...] | None = None, retrain_epochs: int | None = None,
               phate_knn: int = 30, demap_knn: int = 30, continuity_k: int = 5) -> pd.DataFrame:
    """DEMaP, continuity and DEMaP rank of every embedding of each optimum's J&R samples."""
    from helpers import comparison, config, presets, quality, sampling, train

    chosen = presets.jump_and_retrain_settings(preset, directions=directions,
                                               step_sizes=step_sizes,
                                               retrain_epochs=retrain_epochs,
                                               phate_knn=phate_knn)["sampling"]
    tables = {}
    for kind in optima:
        trained = train.train(presets.optimum_config(
            kind, preset, **config.overrides(epochs=epochs, train_size=train_size)))
        samples = sampling.jump_and_retrain(trained, **chosen)
        settings = {"phate": {"knn": phate_knn}} if "phate" in methods else {}
        tables[kind] = comparison.compare_embeddings(
            samples.parameters, methods, metrics, quality.trajectory_ids(samples.table),
            samples.table["epoch"], settings=settings, demap_knn=demap_knn,
            continuity_k=continuity_k)
    scores = pd.concat(tables, names=["optimum"]).droplevel(1).set_index(
        ["method", "metric"], append=True)[["demap", "continuity"]]
    # 1: the highest DEMaP among this optimum's embeddings.
    scores["rank"] = scores.groupby("optimum")["demap"].rank(ascending=False).astype(int)
    return scores


def exercise_2(noises: tuple[float, ...] = (1.0, 4.0, 8.0),
               methods: tuple[str, ...] = ("phate", "tsne", "umap", "pca", "random_plane"),
               tree_n_dim: int = 100, tree_n_branch: int = 10, tree_branch_length: int = 50,
               tree_seed: int = 37, phate_knn: int = 30, demap_knn: int = 30) -> pd.DataFrame:
    """Euclidean DEMaP of each method on the tree at each noise level, largest drop first."""
    from helpers import artificial_tree, comparison

    demap = {}
    for noise in noises:
        tree = artificial_tree.artificial_tree(tree_n_dim, tree_n_branch, tree_branch_length,
                                               noise=noise, seed=tree_seed)
        scores = comparison.compare_embeddings(
            tree.data, methods, ["euclidean"],
            settings={"phate": {"knn": phate_knn}} if "phate" in methods else {},
            demap_knn=demap_knn, demap_reference=tree.clean)
        demap[noise] = scores.set_index("method")["demap"]
    table = pd.DataFrame(demap).rename_axis(columns="noise")
    table["drop"] = table[min(noises)] - table[max(noises)]
    return table.sort_values("drop", ascending=False)


def exercise_3(optima: tuple[str, ...] = ("good", "bad", "memorization"),
               preset: str = "workshop", epochs: int | None = None,
               train_size: int | None = None, directions: tuple[int, ...] | None = None,
               step_sizes: tuple[float, ...] | None = None,
               retrain_epochs: int | None = None) -> pd.DataFrame:
    """Share of the J&R samples' variance on each of the first two principal components."""
    from helpers import config, embedding, presets, sampling, train

    chosen = presets.JUMP_AND_RETRAIN[preset]
    shares = {}
    for kind in optima:
        trained = train.train(presets.optimum_config(
            kind, preset, **config.overrides(epochs=epochs, train_size=train_size)))
        samples = sampling.jump_and_retrain(
            trained, seeds=chosen["seeds"] if directions is None else directions,
            step_sizes=chosen["step_sizes"] if step_sizes is None else step_sizes,
            epochs=chosen["epochs"] if retrain_epochs is None else retrain_epochs,
            steps_per_sample=chosen["steps_per_sample"])
        pca = embedding.embed(samples.parameters, "pca")
        shares[kind] = pca.diagnostics["explained_variance_ratio"]
    table = pd.DataFrame(shares, index=["PC 1", "PC 2"]).T
    return table.assign(both=table.sum(axis=1))
