function minFerryCapacity(crates, days) {
    const crossings = (capacity) => {
        let count = 1;
        let load = 0;
        for (const w of crates) {
            if (load + w > capacity) {
                count++;
                load = 0;
            }
            load += w;
        }
        return count;
    };
    let lo = 0;
    let hi = 0;
    for (const w of crates) {
        lo = Math.max(lo, w);
        hi += w;
    }
    while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (crossings(mid) <= days) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}
