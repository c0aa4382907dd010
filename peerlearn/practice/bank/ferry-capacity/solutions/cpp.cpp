long long minFerryCapacity(vector<int>& crates, int days) {
    auto crossings = [&](long long capacity) {
        long long count = 1, load = 0;
        for (int w : crates) {
            if (load + w > capacity) {
                count++;
                load = 0;
            }
            load += w;
        }
        return count;
    };
    long long lo = *max_element(crates.begin(), crates.end());
    long long hi = accumulate(crates.begin(), crates.end(), 0LL);
    while (lo < hi) {
        long long mid = lo + (hi - lo) / 2;
        if (crossings(mid) <= days) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}
