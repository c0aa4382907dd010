#include <bits/stdc++.h>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    cin.tie(nullptr);
    const int N = 1000000;
    vector<char> composite(N + 1, 0);
    composite[0] = composite[1] = 1;
    for (int p = 2; (long long)p * p <= N; p++)
        if (!composite[p])
            for (int m = p * p; m <= N; m += p) composite[m] = 1;
    vector<int> upto(N + 1, 0);
    for (int x = 1; x <= N; x++) upto[x] = upto[x - 1] + !composite[x];
    int q;
    cin >> q;
    string out;
    while (q--) {
        int l, r;
        cin >> l >> r;
        out += to_string(upto[r] - upto[l - 1]);
        out += '\n';
    }
    cout << out;
    return 0;
}
