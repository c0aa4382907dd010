import heapq


def study_order(n, rules):
    after = [[] for _ in range(n)]
    missing = [0] * n  # number of unfinished prerequisites
    for a, b in rules:
        after[a].append(b)
        missing[b] += 1
    ready = [v for v in range(n) if missing[v] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        v = heapq.heappop(ready)  # always take the smallest module that can be taken now
        order.append(v)
        for w in after[v]:
            missing[w] -= 1
            if missing[w] == 0:
                heapq.heappush(ready, w)
    return order if len(order) == n else []
