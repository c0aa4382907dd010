int trueBracketings(string expr) {
    const long long MOD = 1000000007LL;
    int n = (expr.size() + 1) / 2;
    // t[i][j] / f[i][j]: bracketings of values i..j that evaluate to true / false
    vector<vector<long long>> t(n, vector<long long>(n, 0)), f(n, vector<long long>(n, 0));
    for (int i = 0; i < n; i++) { t[i][i] = expr[2 * i] == 'T'; f[i][i] = 1 - t[i][i]; }
    for (int len = 2; len <= n; len++) {
        for (int i = 0; i + len - 1 < n; i++) {
            int j = i + len - 1;
            long long tt = 0, ff = 0;
            for (int k = i; k < j; k++) {  // last operator: between values k and k+1
                long long lt = t[i][k], lf = f[i][k], rt = t[k + 1][j], rf = f[k + 1][j];
                char op = expr[2 * k + 1];
                long long yes, no;
                if (op == '&') { yes = lt * rt % MOD; no = (lt * rf + lf * rt + lf * rf) % MOD; }
                else if (op == '|') { yes = (lt * rt + lt * rf + lf * rt) % MOD; no = lf * rf % MOD; }
                else { yes = (lt * rf + lf * rt) % MOD; no = (lt * rt + lf * rf) % MOD; }
                tt += yes; ff += no;
            }
            t[i][j] = tt % MOD; f[i][j] = ff % MOD;
        }
    }
    return (int)t[0][n - 1];
}
