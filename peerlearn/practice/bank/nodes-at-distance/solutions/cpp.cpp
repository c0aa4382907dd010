vector<int> relaysAtDistance(int n, vector<vector<int>>& edges, int source, int k) {
    vector<vector<int>> adj(n);
    for (auto& e : edges) { adj[e[0]].push_back(e[1]); adj[e[1]].push_back(e[0]); }
    vector<int> dist(n, -1);
    dist[source] = 0;
    queue<int> q;
    q.push(source);
    vector<int> out;
    while (!q.empty()) {
        int u = q.front(); q.pop();
        if (dist[u] == k) { out.push_back(u); continue; }  // no need to go further out
        for (int v : adj[u]) if (dist[v] < 0) { dist[v] = dist[u] + 1; q.push(v); }
    }
    return out;
}
