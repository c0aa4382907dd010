def min_toll(toll):
    # best[i] = cheapest total toll to stand on step i; the ground is position -1 (cost 0)
    # and the top is position n (no toll). A move climbs 1, 2 or 3 positions.
    n = len(toll)
    INF = float("inf")
    a, b, c = INF, INF, 0  # best at positions i-3, i-2, i-1 (c starts as the ground)
    for i in range(n + 1):
        here = (toll[i] if i < n else 0) + min(a, b, c)
        a, b, c = b, c, here
    return c
