int freshStreak(vector<int>& plays) {
    unordered_map<int, int> last;
    last.reserve(plays.size() * 2);
    int left = 0, best = 0;
    for (int right = 0; right < (int)plays.size(); right++) {
        auto it = last.find(plays[right]);
        if (it != last.end()) {
            if (it->second >= left) left = it->second + 1;
            it->second = right;
        } else {
            last.emplace(plays[right], right);
        }
        best = max(best, right - left + 1);
    }
    return best;
}
