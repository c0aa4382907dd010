vector<int> lockerPair(vector<int>& labels, int target) {
    unordered_map<long long, int> seen;
    seen.reserve(labels.size() * 2);
    for (int j = 0; j < (int)labels.size(); j++) {
        long long need = (long long)target - labels[j];
        auto it = seen.find(need);
        if (it != seen.end()) return {it->second, j};
        seen.emplace(labels[j], j);
    }
    return {};
}
