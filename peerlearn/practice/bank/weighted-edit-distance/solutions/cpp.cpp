int repairCost(string a, string b, int ins, int rem, int sub) {
    int n = a.size(), m = b.size();
    vector<int> prev(m + 1), cur(m + 1);
    for (int j = 0; j <= m; j++) prev[j] = j * ins;
    for (int i = 1; i <= n; i++) {
        cur[0] = i * rem;
        for (int j = 1; j <= m; j++) {
            int keep = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : sub);
            cur[j] = min({keep, prev[j] + rem, cur[j - 1] + ins});
        }
        swap(prev, cur);
    }
    return prev[m];
}
