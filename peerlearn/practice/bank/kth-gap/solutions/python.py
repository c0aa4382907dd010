def kth_gap(trees, k):
    trees = sorted(trees)
    n = len(trees)

    def pairs_within(d):
        count = 0
        i = 0
        for j in range(n):
            tj = trees[j]
            while tj - trees[i] > d:
                i += 1
            count += j - i
        return count

    lo, hi = 0, trees[-1] - trees[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if pairs_within(mid) >= k:
            hi = mid
        else:
            lo = mid + 1
    return lo
