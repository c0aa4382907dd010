int minRooms(vector<vector<int>>& interviews) {
    // sweep: +1 at every start, -1 at every end; an end at time t frees the room before a start at t
    vector<pair<int, int>> events;
    events.reserve(2 * interviews.size());
    for (auto& iv : interviews) { events.push_back({iv[0], 1}); events.push_back({iv[1], -1}); }
    sort(events.begin(), events.end());  // (t, -1) sorts before (t, +1)
    int cur = 0, best = 0;
    for (auto& e : events) { cur += e.second; best = max(best, cur); }
    return best;
}
