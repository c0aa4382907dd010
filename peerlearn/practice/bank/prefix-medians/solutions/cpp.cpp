vector<double> prefixMedians(vector<int>& north, vector<int>& south, vector<vector<int>>& queries) {
    const long long NEG = LLONG_MIN, POS = LLONG_MAX;
    // k-th and (k+1)-th smallest of north[0..i) and south[0..j), 1 <= k <= i + j.
    auto middle = [&](int i, int j, int k, long long& left, long long& right) {
        int lo = max(0, k - j), hi = min(k, i);
        while (lo < hi) {
            int x = (lo + hi) / 2;
            if (north[x] < south[k - x - 1]) lo = x + 1;
            else hi = x;
        }
        int x = lo, y = k - lo;
        left = max(x > 0 ? (long long)north[x - 1] : NEG, y > 0 ? (long long)south[y - 1] : NEG);
        right = min(x < i ? (long long)north[x] : POS, y < j ? (long long)south[y] : POS);
    };
    vector<double> answers;
    answers.reserve(queries.size());
    for (auto& q : queries) {
        int i = q[0], j = q[1], t = i + j;
        long long left, right;
        if (t % 2) {
            middle(i, j, (t + 1) / 2, left, right);
            answers.push_back((double)left);
        } else {
            middle(i, j, t / 2, left, right);
            answers.push_back((left + right) / 2.0);
        }
    }
    return answers;
}
