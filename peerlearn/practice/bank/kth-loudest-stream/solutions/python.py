import heapq


def kth_loudest(k, readings):
    top = []  # min-heap holding the k largest readings so far; top[0] is the k-th largest
    out = []
    for x in readings:
        if len(top) < k:
            heapq.heappush(top, x)
        elif x > top[0]:
            heapq.heapreplace(top, x)
        out.append(top[0] if len(top) == k else -1)
    return out
