vector<int> othersProduct(vector<int>& gears) {
    const long long MOD = 1000000007LL;
    int n = gears.size();
    vector<long long> answer(n, 1);
    long long running = 1;
    for (int i = 0; i < n; i++) {
        answer[i] = running;
        running = running * gears[i] % MOD;
    }
    running = 1;
    for (int i = n - 1; i >= 0; i--) {
        answer[i] = answer[i] * running % MOD;
        running = running * gears[i] % MOD;
    }
    return vector<int>(answer.begin(), answer.end());
}
