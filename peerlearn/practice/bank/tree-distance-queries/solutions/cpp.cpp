vector<int> tunnelDistances(vector<int>& parent, vector<vector<int>>& queries) {
    int n = parent.size(), root = 0;
    vector<vector<int>> children(n);
    for (int v = 0; v < n; v++) {
        if (parent[v] == -1) root = v;
        else children[parent[v]].push_back(v);
    }
    vector<int> depth(n, 0), order{root};
    for (size_t i = 0; i < order.size(); i++)
        for (int c : children[order[i]]) { depth[c] = depth[order[i]] + 1; order.push_back(c); }
    int levels = 1;
    while ((1 << levels) <= n) levels++;
    vector<vector<int>> up(levels, vector<int>(n));
    for (int v = 0; v < n; v++) up[0][v] = parent[v] == -1 ? root : parent[v];
    for (int j = 1; j < levels; j++)
        for (int v = 0; v < n; v++) up[j][v] = up[j - 1][up[j - 1][v]];
    auto lca = [&](int u, int v) {
        if (depth[u] < depth[v]) swap(u, v);
        int diff = depth[u] - depth[v];
        for (int j = 0; diff; j++, diff >>= 1) if (diff & 1) u = up[j][u];
        if (u == v) return u;
        for (int j = levels - 1; j >= 0; j--)
            if (up[j][u] != up[j][v]) { u = up[j][u]; v = up[j][v]; }
        return up[0][u];
    };
    vector<int> out;
    out.reserve(queries.size());
    for (auto& q : queries) out.push_back(depth[q[0]] + depth[q[1]] - 2 * depth[lca(q[0], q[1])]);
    return out;
}
