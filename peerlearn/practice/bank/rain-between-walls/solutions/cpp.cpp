#include <bits/stdc++.h>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    cin.tie(nullptr);
    int n;
    cin >> n;
    vector<long long> h(n);
    for (auto& x : h) cin >> x;
    int left = 0, right = n - 1;
    long long bestLeft = 0, bestRight = 0, water = 0;
    while (left <= right) {
        if (bestLeft <= bestRight) {
            bestLeft = max(bestLeft, h[left]);
            water += bestLeft - h[left];
            left++;
        } else {
            bestRight = max(bestRight, h[right]);
            water += bestRight - h[right];
            right--;
        }
    }
    cout << water << "\n";
    return 0;
}
