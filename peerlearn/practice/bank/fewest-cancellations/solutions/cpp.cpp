int minCancellations(vector<vector<int>>& shows) {
    sort(shows.begin(), shows.end(), [](const vector<int>& a, const vector<int>& b) { return a[1] < b[1]; });
    int kept = 0;
    long long freeFrom = LLONG_MIN;
    for (auto& s : shows) {
        if (s[0] >= freeFrom) { kept++; freeFrom = s[1]; }
    }
    return (int)shows.size() - kept;
}
