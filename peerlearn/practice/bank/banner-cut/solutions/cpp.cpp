string bannerCut(string strip, string slogan) {
    int need[128] = {0};
    bool wanted[128] = {false};
    for (char c : slogan) {
        need[(unsigned char)c]++;
        wanted[(unsigned char)c] = true;
    }
    int missing = slogan.size();
    int n = strip.size();
    int bestStart = 0, bestLen = n + 1, left = 0;
    for (int right = 0; right < n; right++) {
        unsigned char c = strip[right];
        if (wanted[c]) {
            if (need[c] > 0) missing--;
            need[c]--;
        }
        if (missing == 0) {
            while (true) {
                unsigned char d = strip[left];
                if (!wanted[d]) left++;
                else if (need[d] < 0) {
                    need[d]++;
                    left++;
                } else break;
            }
            if (right - left + 1 < bestLen) {
                bestStart = left;
                bestLen = right - left + 1;
            }
        }
    }
    return bestLen <= n ? strip.substr(bestStart, bestLen) : "";
}
