int longestRise(vector<int>& altitudes) {
    vector<int> tails;  // tails[k] = smallest last altitude of a rising selection of length k + 1
    for (int a : altitudes) {
        auto it = lower_bound(tails.begin(), tails.end(), a);
        if (it == tails.end()) tails.push_back(a);
        else *it = a;
    }
    return tails.size();
}
