int kthGap(vector<int>& trees, long long k) {
    sort(trees.begin(), trees.end());
    int n = trees.size();
    auto pairsWithin = [&](int d) {
        long long count = 0;
        int i = 0;
        for (int j = 0; j < n; j++) {
            while (trees[j] - trees[i] > d) i++;
            count += j - i;
        }
        return count;
    };
    int lo = 0, hi = trees[n - 1] - trees[0];
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (pairsWithin(mid) >= k) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}
