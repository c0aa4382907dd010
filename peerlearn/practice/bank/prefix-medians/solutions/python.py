def prefix_medians(north, south, queries):
    inf = float("inf")

    def middle(i, j, k):
        """k-th and (k+1)-th smallest of north[:i] + south[:j] (1 <= k <= i + j)."""
        lo, hi = max(0, k - j), min(k, i)
        while lo < hi:
            x = (lo + hi) // 2
            if north[x] < south[k - x - 1]:
                lo = x + 1
            else:
                hi = x
        x, y = lo, k - lo
        left = max(north[x - 1] if x > 0 else -inf, south[y - 1] if y > 0 else -inf)
        right = min(north[x] if x < i else inf, south[y] if y < j else inf)
        return left, right

    answers = []
    for i, j in queries:
        t = i + j
        if t % 2:
            left, _ = middle(i, j, (t + 1) // 2)
            answers.append(float(left))
        else:
            left, right = middle(i, j, t // 2)
            answers.append((left + right) / 2)
    return answers
