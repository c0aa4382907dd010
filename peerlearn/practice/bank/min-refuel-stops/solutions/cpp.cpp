int minStops(int distance, int tank, vector<vector<int>>& depots) {
    long long reach = tank;
    priority_queue<int> passed;  // litres at depots already within reach, not used yet
    int stops = 0;
    size_t i = 0;
    while (reach < distance) {
        while (i < depots.size() && depots[i][0] <= reach) passed.push(depots[i++][1]);
        if (passed.empty()) return -1;
        reach += passed.top();
        passed.pop();
        stops++;
    }
    return stops;
}
