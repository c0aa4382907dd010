vector<int> kthLoudest(int k, vector<int>& readings) {
    priority_queue<int, vector<int>, greater<int>> top;  // the k largest so far
    vector<int> out;
    out.reserve(readings.size());
    for (int x : readings) {
        if ((int)top.size() < k) top.push(x);
        else if (x > top.top()) { top.pop(); top.push(x); }
        out.push_back((int)top.size() == k ? top.top() : -1);
    }
    return out;
}
