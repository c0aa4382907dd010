long long countExactStretches(vector<int>& balance, int goal) {
    unordered_map<long long, long long> seen;
    seen.reserve(balance.size() * 2 + 1);
    seen[0] = 1;
    long long prefix = 0, total = 0;
    for (int value : balance) {
        prefix += value;
        auto it = seen.find(prefix - goal);
        if (it != seen.end()) total += it->second;
        seen[prefix]++;
    }
    return total;
}
