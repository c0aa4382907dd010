vector<int> waitForWarmer(vector<int>& temps) {
    int n = temps.size();
    vector<int> answer(n, 0), waiting;
    waiting.reserve(n);
    for (int i = 0; i < n; i++) {
        while (!waiting.empty() && temps[waiting.back()] < temps[i]) {
            answer[waiting.back()] = i - waiting.back();
            waiting.pop_back();
        }
        waiting.push_back(i);
    }
    return answer;
}
