vector<int> windowPeaks(vector<int>& readings, int k) {
    deque<int> candidates;
    vector<int> peaks;
    peaks.reserve(readings.size() - k + 1);
    for (int i = 0; i < (int)readings.size(); i++) {
        while (!candidates.empty() && readings[candidates.back()] <= readings[i]) candidates.pop_back();
        candidates.push_back(i);
        if (candidates.front() <= i - k) candidates.pop_front();
        if (i >= k - 1) peaks.push_back(readings[candidates.front()]);
    }
    return peaks;
}
