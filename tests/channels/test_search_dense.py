"""The dense pass of search on a big corpus: a PCA projection first, then the best candidates
scored exactly; refused for vectors without structure (where it would miss neighbours)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from tgassist.channels import corpus as corpus_mod
from tgassist.channels.corpus import Corpus, Doc
from tgassist.channels.search import dense_pass

DIM = 512
N = 3000


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _corpus(vectors: np.ndarray) -> Corpus:
    corpus = Corpus(DIM)
    when = datetime(2026, 11, 30, tzinfo=UTC)
    for i, vec in enumerate(vectors):
        corpus.put(Doc(i + 1, 1, i + 1, when, f"post {i}"), vec)
    return corpus


def _structured(rng: np.random.Generator, n: int) -> np.ndarray:
    """Like sentence embeddings: most of the energy in a few dozen directions."""
    basis = rng.standard_normal((40, DIM))
    return _unit(rng.standard_normal((n, 40)) @ basis + 0.1 * rng.standard_normal((n, DIM)))


@pytest.fixture(autouse=True)
def small_corpus_is_big(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(corpus_mod, "APPROX_MIN", 1000)
    monkeypatch.setattr("tgassist.channels.search.APPROX_DEPTH", 300)


def test_projection_finds_the_exact_neighbours_and_follows_new_posts() -> None:
    rng = np.random.default_rng(1)
    corpus = _corpus(_structured(rng, N))
    corpus.ensure_projection()
    assert corpus.low_col is not None and corpus.approx_energy >= 0.8
    mask = corpus.alive_mask() & corpus.has_vec.view
    for q in _structured(rng, 20):
        slots, cos = dense_pass(corpus, q, mask)
        exact = np.argsort(-(corpus.vec_col.view @ q))[:10]
        assert slots[:10] == [int(s) for s in exact]
        assert cos[slots[0]] == pytest.approx(float(corpus.vec_col.view[slots[0]] @ q), abs=1e-5)
    # A post added (or re-embedded) after the fit is projected too, and found.
    new = _structured(rng, 1)[0]
    slot = corpus.put(Doc(N + 1, 1, N + 1, datetime(2026, 12, 1, tzinfo=UTC), "new"), new)
    assert corpus.low_col.n == corpus.vec_col.n
    slots, _ = dense_pass(corpus, new, corpus.alive_mask() & corpus.has_vec.view)
    assert slots[0] == slot
    other = _structured(rng, 1)[0]
    corpus.set_vector(N + 1, other)
    slots, _ = dense_pass(corpus, other, corpus.alive_mask() & corpus.has_vec.view)
    assert slots[0] == corpus.slot_of[N + 1]


def test_vectors_without_structure_stay_exact() -> None:
    rng = np.random.default_rng(2)
    corpus = _corpus(_unit(rng.standard_normal((N, DIM))))
    corpus.ensure_projection()
    assert corpus.low_col is None and corpus.approx_energy < 0.8
    q = _unit(rng.standard_normal(DIM))
    slots, _ = dense_pass(corpus, q, corpus.alive_mask() & corpus.has_vec.view)
    assert slots[:10] == [int(s) for s in np.argsort(-(corpus.vec_col.view @ q))[:10]]
