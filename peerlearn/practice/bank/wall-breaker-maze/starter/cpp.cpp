#include <bits/stdc++.h>
using namespace std;

int main() {
    int rows, cols, k;
    cin >> rows >> cols >> k;
    vector<string> grid(rows);  // grid[r][c] is one of 'S', 'E', '.', '#'
    for (auto& line : grid) cin >> line;
    // TODO: print the fewest moves from S to E demolishing at most k walls, or -1
    printf("-1\n");
    return 0;
}
