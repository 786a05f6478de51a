"""Sparse-matrix helpers shared by the routing graph and its contraction."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix


def sparse_min(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, n: int) -> csr_matrix:
    """CSR matrix keeping the lowest weight of duplicate ``(row, col)`` entries (CSR would sum)."""
    order = np.lexsort((weights, cols, rows))
    rows, cols, weights = rows[order], cols[order], weights[order]
    first = np.ones(len(rows), bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return csr_matrix((weights[first], (rows[first], cols[first])), shape=(n, n))
