#include <bits/stdc++.h>
using namespace std;

int main() {
    int n, m;
    scanf("%d %d", &n, &m);
    vector<array<int, 3>> roads(m);
    for (auto& r : roads) scanf("%d %d %d", &r[0], &r[1], &r[2]);
    // TODO: print "-1", or the fastest time and the number of fastest routes modulo 1000000007
    printf("-1\n");
    return 0;
}
