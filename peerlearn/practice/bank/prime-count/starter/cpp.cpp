#include <bits/stdc++.h>
using namespace std;

int main() {
    int q;
    cin >> q;
    while (q--) {
        int l, r;
        cin >> l >> r;
        // TODO: print how many primes lie in [l, r]
    }
    return 0;
}
