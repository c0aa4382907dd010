#include <bits/stdc++.h>
using namespace std;

int main() {
    int rows, cols, k;
    if (!(cin >> rows >> cols >> k)) return 0;
    string grid;
    for (int r = 0; r < rows; r++) { string line; cin >> line; grid += line; }
    int n = rows * cols, start = grid.find('S'), goal = grid.find('E');
    // fewest[v]: fewest demolitions used to reach v so far; a later (longer) arrival is only
    // useful with strictly fewer demolitions.
    vector<int> fewest(n, k + 1);
    fewest[start] = 0;
    vector<pair<int, int>> frontier{{start, 0}}, next;
    for (int moves = 0; !frontier.empty(); moves++) {
        next.clear();
        for (auto [v, used] : frontier) {
            if (v == goal) { printf("%d\n", moves); return 0; }
            int r = v / cols, c = v % cols;
            int cand[4] = {r > 0 ? v - cols : -1, r + 1 < rows ? v + cols : -1, c > 0 ? v - 1 : -1, c + 1 < cols ? v + 1 : -1};
            for (int w : cand) {
                if (w < 0) continue;
                int u = used + (grid[w] == '#');
                if (u < fewest[w]) { fewest[w] = u; next.push_back({w, u}); }
            }
        }
        swap(frontier, next);
    }
    printf("-1\n");
    return 0;
}
