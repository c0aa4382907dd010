vector<int> sharedBadges(vector<int>& north, vector<int>& south) {
    unordered_set<int> remaining(north.begin(), north.end());
    vector<int> shared;
    for (int badge : south) {
        if (remaining.erase(badge)) shared.push_back(badge);
    }
    return shared;
}
