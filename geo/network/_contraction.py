"""Contracting chains of degree-2 nodes: a smaller graph for travel-time matrices.

Street networks are full of nodes that only bend a street (degree 2). A :class:`Core` keeps
the junctions and dead ends ("core" nodes) and replaces each chain of degree-2 nodes between
two core nodes by one edge per direction. Every node keeps its two exits (the core nodes at
the ends of its chain) with the costs to and from them, so times to any node follow from the
core times; a source and a target on the same chain also get the direct way along it.
Shortest times are unchanged (tests compare them with the full graph).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from geo.network._sparse import sparse_min


@dataclass
class Core:
    """The contracted graph of a :class:`~geo.network.graph.ModeGraph`.

    Attributes
    ----------
    matrix
        ``(m, m)`` CSR matrix of seconds between core nodes.
    exit_a, exit_b
        For every node, the core node (index into the core) at either end of its chain;
        both are the node itself for core nodes.
    out_a, out_b, in_a, in_b
        Seconds from the node to each exit and from each exit to the node (``inf`` if a
        one-way street forbids it).
    chain, pos, forward
        For every edge: its chain, its position along the chain and whether its ``u -> v``
        runs along the chain's direction.
    cum_f, cum_r, block_f, block_r, offset
        Per chain (flattened, chain ``c`` at ``offset[c]``..): cumulative seconds forward
        and backward from the chain start at each chain node (blocked steps counted apart).
    """

    matrix: csr_matrix
    exit_a: np.ndarray
    exit_b: np.ndarray
    out_a: np.ndarray
    out_b: np.ndarray
    in_a: np.ndarray
    in_b: np.ndarray
    chain: np.ndarray
    pos: np.ndarray
    forward: np.ndarray
    cum_f: np.ndarray
    cum_r: np.ndarray
    block_f: np.ndarray
    block_r: np.ndarray
    offset: np.ndarray

    @property
    def m(self) -> int:
        return self.matrix.shape[0]


def contract(
    edge_u: np.ndarray, edge_v: np.ndarray, sec_fwd: np.ndarray, sec_bwd: np.ndarray, n: int
) -> Core:
    """Contract degree-2 chains of a graph given by its edge arrays (see :class:`Core`)."""
    k = len(edge_u)
    ends = np.concatenate([edge_u, edge_v])
    deg = np.bincount(ends, minlength=n)
    # incidence lists: edges of each node
    order = np.argsort(ends, kind="stable")
    start = np.concatenate([[0], np.cumsum(deg)])
    inc_edge = (order % k).astype(np.int64)
    core = deg != 2
    core[edge_u[edge_u == edge_v]] = True  # self-loops
    two = np.flatnonzero(deg == 2)
    e1, e2 = inc_edge[start[two]], inc_edge[start[two] + 1]
    other1 = np.where(edge_u[e1] == two, edge_v[e1], edge_u[e1])
    other2 = np.where(edge_u[e2] == two, edge_v[e2], edge_u[e2])
    core[two[other1 == other2]] = True  # two parallel edges to one neighbour

    inc = inc_edge.tolist()
    st = start.tolist()
    eu, ev = edge_u.tolist(), edge_v.tolist()
    sf, sb = sec_fwd.tolist(), sec_bwd.tolist()
    is_core = core.tolist()
    visited = [False] * k
    chain = np.full(k, -1, np.int64)
    pos = np.zeros(k, np.int64)
    fwd_dir = np.ones(k, bool)
    chain_nodes: list[list[int]] = []
    chain_f: list[list[float]] = []
    chain_r: list[list[float]] = []

    def walk(a: int, e: int) -> None:
        cid = len(chain_nodes)
        nodes: list[int] = [a]
        fs: list[float] = []
        rs: list[float] = []
        cur, edge = a, e
        while True:
            visited[edge] = True
            along = eu[edge] == cur
            nxt = ev[edge] if along else eu[edge]
            chain[edge] = cid
            pos[edge] = len(fs)
            fwd_dir[edge] = along
            fs.append(sf[edge] if along else sb[edge])
            rs.append(sb[edge] if along else sf[edge])
            nodes.append(nxt)
            if is_core[nxt]:
                break
            s0 = st[nxt]
            edge = inc[s0] if inc[s0] != edge else inc[s0 + 1]
            cur = nxt
        chain_nodes.append(nodes)
        chain_f.append(fs)
        chain_r.append(rs)

    for a in np.flatnonzero(core).tolist():
        for j in range(st[a], st[a + 1]):
            if not visited[inc[j]]:
                walk(a, inc[j])
    for e in range(k):  # pure cycles with no core node: make one of their nodes core
        if not visited[e]:
            a = eu[e]
            is_core[a] = True
            core[a] = True
            for j in range(st[a], st[a + 1]):
                if not visited[inc[j]]:
                    walk(a, inc[j])

    core_index = np.full(n, -1, np.int64)
    core_index[core] = np.arange(int(core.sum()))
    m = int(core.sum())
    exit_a = core_index.copy()
    exit_b = core_index.copy()
    out_a = np.zeros(n)
    out_b = np.zeros(n)
    in_a = np.zeros(n)
    in_b = np.zeros(n)
    unused = deg == 0
    for arr in (out_a, out_b, in_a, in_b):
        arr[unused] = np.inf

    # Everything per chain, vectorised over the flattened chains.
    lengths = np.array([len(fs) for fs in chain_f], np.int64)  # steps per chain
    n_chains = len(lengths)
    step_off = np.concatenate([[0], np.cumsum(lengths)])
    node_off = step_off + np.arange(n_chains + 1)  # each chain has steps + 1 nodes
    f = np.fromiter((x for fs in chain_f for x in fs), float, int(step_off[-1]))
    r = np.fromiter((x for rs in chain_r for x in rs), float, int(step_off[-1]))
    flat_nodes = np.fromiter((x for ns in chain_nodes for x in ns), np.int64, int(node_off[-1]))
    node_chain = np.repeat(np.arange(n_chains), lengths + 1)
    local = np.arange(len(flat_nodes)) - node_off[:-1][node_chain]
    gf = np.concatenate([[0.0], np.cumsum(np.where(np.isfinite(f), f, 0.0))])
    gr = np.concatenate([[0.0], np.cumsum(np.where(np.isfinite(r), r, 0.0))])
    hf = np.concatenate([[0], np.cumsum(~np.isfinite(f))])
    hr = np.concatenate([[0], np.cumsum(~np.isfinite(r))])
    base = step_off[:-1][node_chain]
    cum_f = gf[base + local] - gf[base]
    cum_r = gr[base + local] - gr[base]
    block_f = hf[base + local] - hf[base]
    block_r = hr[base + local] - hr[base]
    first = node_off[:-1]
    last = node_off[1:] - 1
    a_core = core_index[flat_nodes[first]]
    b_core = core_index[flat_nodes[last]]
    differ = a_core != b_core
    ok_f = differ & (block_f[last] == 0)
    ok_r = differ & (block_r[last] == 0)
    rows = np.concatenate([a_core[ok_f], b_core[ok_r]])
    cols = np.concatenate([b_core[ok_f], a_core[ok_r]])
    weights = np.concatenate([cum_f[last][ok_f], cum_r[last][ok_r]])
    inner = (local > 0) & (local < (lengths[node_chain]))
    x = flat_nodes[inner]
    c = node_chain[inner]
    exit_a[x] = a_core[c]
    exit_b[x] = b_core[c]
    end_f, end_r = cum_f[last][c], cum_r[last][c]
    end_bf, end_br = block_f[last][c], block_r[last][c]
    cf, cr, bf, br = cum_f[inner], cum_r[inner], block_f[inner], block_r[inner]
    out_a[x] = np.where(br == 0, cr, np.inf)  # to A: backwards over the steps before x
    in_a[x] = np.where(bf == 0, cf, np.inf)  # from A: forwards over the same steps
    out_b[x] = np.where(end_bf - bf == 0, end_f - cf, np.inf)
    in_b[x] = np.where(end_br - br == 0, end_r - cr, np.inf)
    matrix = sparse_min(rows.astype(np.int64), cols.astype(np.int64), np.maximum(weights, 1e-6), m)
    return Core(
        matrix=matrix, exit_a=exit_a, exit_b=exit_b, out_a=out_a, out_b=out_b, in_a=in_a, in_b=in_b,
        chain=chain, pos=pos, forward=fwd_dir,
        cum_f=cum_f, cum_r=cum_r, block_f=block_f, block_r=block_r, offset=node_off[:-1],
    )  # fmt: skip
