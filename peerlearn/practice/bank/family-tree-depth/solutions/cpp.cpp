int generations(vector<int>& parent) {
    int n = parent.size();
    vector<int> depth(n, 0);  // 0 = not computed yet
    vector<int> path;
    int best = 0;
    for (int s = 0; s < n; s++) {
        // walk up until a node with a known depth (or past the root), then fill the path back in
        int v = s;
        while (v != -1 && depth[v] == 0) { path.push_back(v); v = parent[v]; }
        int d = (v == -1) ? 0 : depth[v];
        while (!path.empty()) { depth[path.back()] = ++d; path.pop_back(); }
        best = max(best, depth[s]);
    }
    return best;
}
