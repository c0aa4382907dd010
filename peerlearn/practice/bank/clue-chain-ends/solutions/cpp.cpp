bool huntEnds(vector<int>& next) {
    // Floyd's tortoise and hare: if the chain loops, the fast walker catches the slow one.
    int slow = 0, fast = 0;
    while (true) {
        for (int s = 0; s < 2; s++) {
            fast = next[fast];
            if (fast == -1) return true;
        }
        slow = next[slow];
        if (slow == fast) return false;
    }
}
