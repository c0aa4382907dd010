long long minToll(vector<int>& toll) {
    const long long INF = LLONG_MAX / 4;
    int n = toll.size();
    long long a = INF, b = INF, c = 0;  // positions i-3, i-2, i-1; the ground is position -1
    for (int i = 0; i <= n; i++) {
        long long here = (i < n ? toll[i] : 0) + min(a, min(b, c));
        a = b; b = c; c = here;
    }
    return c;
}
