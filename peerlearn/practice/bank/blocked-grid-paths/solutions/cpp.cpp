int countRoutes(vector<vector<int>>& grid) {
    const long long MOD = 1000000007LL;
    int rows = grid.size(), cols = grid[0].size();
    vector<long long> prev(cols, 0), cur(cols, 0);
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
            if (grid[r][c] == 1) { cur[c] = 0; continue; }
            if (r == 0 && c == 0) { cur[c] = 1; continue; }
            long long ways = prev[c];
            if (c > 0) ways += cur[c - 1] + prev[c - 1];
            cur[c] = ways % MOD;
        }
        swap(prev, cur);
    }
    return (int)prev[cols - 1];
}
