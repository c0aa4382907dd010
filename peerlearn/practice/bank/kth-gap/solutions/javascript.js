function kthGap(trees, k) {
    const sorted = Int32Array.from(trees).sort();
    const n = sorted.length;
    const pairsWithin = (d) => {
        let count = 0;
        let i = 0;
        for (let j = 0; j < n; j++) {
            while (sorted[j] - sorted[i] > d) i++;
            count += j - i;
        }
        return count;
    };
    let lo = 0;
    let hi = sorted[n - 1] - sorted[0];
    while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (pairsWithin(mid) >= k) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}
