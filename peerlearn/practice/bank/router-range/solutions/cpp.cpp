int minRouterRange(vector<int>& houses, vector<int>& routers) {
    sort(routers.begin(), routers.end());
    long long best = 0;
    for (int h : houses) {
        auto it = lower_bound(routers.begin(), routers.end(), h);
        long long near = LLONG_MAX;
        if (it != routers.end()) near = (long long)*it - h;
        if (it != routers.begin()) near = min(near, (long long)h - *prev(it));
        best = max(best, near);
    }
    return (int)best;
}
