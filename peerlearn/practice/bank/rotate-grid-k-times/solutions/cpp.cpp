vector<vector<int>> rotateGrid(vector<vector<int>>& grid, long long k) {
    int turns = (int)(((k % 4) + 4) % 4);  // C++ % keeps the sign of k
    vector<vector<int>> g = grid;
    for (int t = 0; t < turns; t++) {
        int rows = g.size(), cols = g[0].size();
        vector<vector<int>> next(cols, vector<int>(rows));
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) next[c][rows - 1 - r] = g[r][c];
        g.swap(next);
    }
    return g;
}
