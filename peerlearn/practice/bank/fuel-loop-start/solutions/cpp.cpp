int loopStart(vector<int>& fuel, vector<int>& cost) {
    int n = fuel.size();
    long long total = 0, tank = 0;
    int start = 0;
    for (int i = 0; i < n; i++) {
        long long net = (long long)fuel[i] - cost[i];
        total += net;
        tank += net;
        if (tank < 0) { start = i + 1; tank = 0; }
    }
    return total < 0 ? -1 : start;
}
