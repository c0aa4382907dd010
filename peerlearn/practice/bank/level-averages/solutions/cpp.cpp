vector<double> levelAverages(vector<int>& tree) {
    // Level order with -1 for a missing child: each present node owns the next two entries.
    vector<double> averages;
    size_t pos = 1;
    long long levelCount = 1, levelSum = tree[0];
    while (levelCount > 0) {
        averages.push_back((double)levelSum / levelCount);
        long long nextCount = 0, nextSum = 0;
        for (long long i = 0; i < 2 * levelCount; i++, pos++) {
            if (pos < tree.size() && tree[pos] != -1) { nextCount++; nextSum += tree[pos]; }
        }
        levelCount = nextCount; levelSum = nextSum;
    }
    return averages;
}
