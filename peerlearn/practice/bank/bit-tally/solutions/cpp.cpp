#include <bits/stdc++.h>
using namespace std;

// Total number of 1 bits in the binary forms of 0, 1, ..., x.
long long litUpTo(long long x) {
    if (x < 0) return 0;
    long long total = 0, n = x + 1;
    for (long long half = 1; half <= x; half *= 2) {
        long long period = half * 2;
        total += n / period * half;
        total += max(0LL, n % period - half);
    }
    return total;
}

int main() {
    ios::sync_with_stdio(false);
    cin.tie(nullptr);
    int q;
    cin >> q;
    string out;
    while (q--) {
        long long l, r;
        cin >> l >> r;
        out += to_string(litUpTo(r) - litUpTo(l - 1));
        out += '\n';
    }
    cout << out;
    return 0;
}
