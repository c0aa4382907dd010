function packBeads(beads) {
    const parts = [];
    const n = beads.length;
    let i = 0;
    while (i < n) {
        let j = i;
        while (j < n && beads[j] === beads[i]) j++;
        parts.push(j - i > 1 ? beads[i] + (j - i) : beads[i]);
        i = j;
    }
    return parts.join("");
}
