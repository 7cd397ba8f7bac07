"""Solutions to the exercises of Chapter 6 (the learning-rate study).

Each ``exercise_N`` is shown under its exercise in ``book/06-learning-rate.md`` and runs
at a tiny scale in ``tests/test_solutions.py``. Its defaults are the chapter's, and it
imports what it uses (the chapter's notebook has ``pd``), so that it runs as shown.
"""

from __future__ import annotations

import pandas as pd


def exercise_1(losses: tuple[float, ...] = (0.3, 0.9, 0.2, 0.6, 0.1, 0.8, 0.4)
               ) -> pd.DataFrame:
    """The split tree's branches of ``losses`` on a path graph: peak, merge value, persistence."""
    from scipy import sparse

    from helpers import topology

    n = len(losses)
    path = sparse.diags([1.0, 1.0], [-1, 1], shape=(n, n), format="csr")  # 0 - 1 - ... - n-1
    tree = topology.merge_tree(path, losses, kind="split")
    branches = pd.DataFrame(tree.pairs, columns=["peak", "merges at"])
    # The highest peak never merges: its branch ends at -inf (an essential branch).
    return branches.assign(persistence=branches["peak"] - branches["merges at"])


def exercise_2(ks: tuple[int, ...] = (5, 20, 50), rate: float = 0.1,
               seed: int | None = None, epoch: int = -1, preset: str = "workshop",
               epochs: int | None = None, train_size: int | None = None) -> pd.DataFrame:
    """Edges, join-tree minima and saddles of one epoch's training losses on each k-NN graph."""
    from helpers import loss_fields, lr_study, topology, train

    settings = lr_study.study_settings(preset, epochs=epochs, train_size=train_size,
                                       skip_connections=False)
    config = settings.configs()[rate, settings.seeds[0] if seed is None else seed]
    losses = train.train(config, record_sample_losses=True).train_sample_losses[epoch]
    dataset = train.load_training_data(config)
    rows = {}
    for k in ks:
        graph = loss_fields.input_graph(dataset, "train", k)
        tree = topology.merge_tree(graph, losses, kind="join")
        rows[k] = {"edges": graph.nnz // 2, "minima": tree.minima.size,
                   "saddles": tree.n_saddles, "components": tree.n_components}
    return pd.DataFrame(rows).T.rename_axis("k")


def exercise_3(rate: float = 0.1, seed: int | None = None, k: int = 20, p: float = 1.0,
               control_seed: int = 0, preset: str = "workshop", epochs: int | None = None,
               train_size: int | None = None) -> pd.DataFrame:
    """Join-tree minima and total persistence per epoch of the losses and of each control."""
    from helpers import loss_fields, lr_study, topology, train

    settings = lr_study.study_settings(preset, epochs=epochs, train_size=train_size, k=k,
                                       control_seed=control_seed, skip_connections=False)
    config = settings.configs()[rate, settings.seeds[0] if seed is None else seed]
    losses = train.train(config, record_sample_losses=True).train_sample_losses
    graph = loss_fields.input_graph(train.load_training_data(config), "train", settings.k)
    rows = []
    for variant in ("loss", "shuffle", "rank"):
        fields = loss_fields.control_values(losses, variant, settings.control_seed)
        for epoch, values in enumerate(fields):
            tree = topology.merge_tree(graph, values, kind="join")
            rows.append({"variant": variant, "epoch": epoch, "minima": tree.minima.size,
                         "total persistence": topology.total_persistence(tree.pairs, p=p,
                                                                         essential="drop")})
    return pd.DataFrame(rows).pivot(index="epoch", columns="variant")
