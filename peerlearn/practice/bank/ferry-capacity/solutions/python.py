def min_ferry_capacity(crates, days):
    def crossings(capacity):
        count, load = 1, 0
        for w in crates:
            if load + w > capacity:
                count += 1
                load = 0
            load += w
        return count

    lo, hi = max(crates), sum(crates)
    while lo < hi:
        mid = (lo + hi) // 2
        if crossings(mid) <= days:
            hi = mid
        else:
            lo = mid + 1
    return lo
