function minRouterRange(houses, routers) {
    const sorted = Int32Array.from(routers).sort();
    const m = sorted.length;
    let best = 0;
    for (const h of houses) {
        let lo = 0;
        let hi = m;
        while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (sorted[mid] < h) lo = mid + 1;
            else hi = mid;
        }
        let near = Infinity;
        if (lo < m) near = sorted[lo] - h;
        if (lo > 0) near = Math.min(near, h - sorted[lo - 1]);
        if (near > best) best = near;
    }
    return best;
}
