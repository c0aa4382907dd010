def tunnel_distances(parent, queries):
    n = len(parent)
    children = [[] for _ in range(n)]
    root = 0
    for v, p in enumerate(parent):
        if p == -1:
            root = v
        else:
            children[p].append(v)
    # depths in BFS order (iterative: the tree can be a long chain)
    depth = [0] * n
    order = [root]
    for v in order:
        for c in children[v]:
            depth[c] = depth[v] + 1
            order.append(c)
    # binary lifting: up[j][v] is the 2^j-th ancestor of v (the root is its own ancestor)
    up = [[root if p == -1 else p for p in parent]]
    levels = max(1, max(depth).bit_length())
    for _ in range(1, levels):
        prev = up[-1]
        up.append([prev[prev[v]] for v in range(n)])

    def lca(u, v):
        if depth[u] < depth[v]:
            u, v = v, u
        diff = depth[u] - depth[v]
        j = 0
        while diff:
            if diff & 1:
                u = up[j][u]
            diff >>= 1
            j += 1
        if u == v:
            return u
        for j in range(levels - 1, -1, -1):
            if up[j][u] != up[j][v]:
                u, v = up[j][u], up[j][v]
        return parent[u]

    return [depth[u] + depth[v] - 2 * depth[lca(u, v)] for u, v in queries]
