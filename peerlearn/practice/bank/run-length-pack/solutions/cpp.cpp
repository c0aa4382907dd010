string packBeads(string beads) {
    string out;
    size_t n = beads.size(), i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && beads[j] == beads[i]) j++;
        out += beads[i];
        if (j - i > 1) out += to_string(j - i);
        i = j;
    }
    return out;
}
