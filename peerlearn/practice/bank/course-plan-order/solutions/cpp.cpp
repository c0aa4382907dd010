vector<int> studyOrder(int n, vector<vector<int>>& rules) {
    vector<vector<int>> after(n);
    vector<int> missing(n, 0);
    for (auto& r : rules) { after[r[0]].push_back(r[1]); missing[r[1]]++; }
    priority_queue<int, vector<int>, greater<int>> ready;
    for (int v = 0; v < n; v++) if (missing[v] == 0) ready.push(v);
    vector<int> order;
    while (!ready.empty()) {
        int v = ready.top(); ready.pop();
        order.push_back(v);
        for (int w : after[v]) if (--missing[w] == 0) ready.push(w);
    }
    if ((int)order.size() != n) return {};
    return order;
}
