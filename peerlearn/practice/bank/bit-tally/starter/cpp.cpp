#include <bits/stdc++.h>
using namespace std;

int main() {
    int q;
    cin >> q;
    while (q--) {
        long long l, r;
        cin >> l >> r;
        // TODO: print the total number of lit lamps for the scores l, l+1, ..., r
    }
    return 0;
}
