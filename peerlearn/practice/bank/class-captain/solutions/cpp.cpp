int classCaptain(vector<int>& ballots) {
    int candidate = 0, balance = 0;
    for (int vote : ballots) {
        if (balance == 0) candidate = vote;
        balance += vote == candidate ? 1 : -1;
    }
    return candidate;
}
