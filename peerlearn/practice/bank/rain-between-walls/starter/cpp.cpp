#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    cin >> n;
    vector<long long> heights(n);
    for (auto& h : heights) cin >> h;
    // TODO: print the total amount of trapped water
    return 0;
}
