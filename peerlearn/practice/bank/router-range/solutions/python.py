from bisect import bisect_left


def min_router_range(houses, routers):
    routers = sorted(routers)
    m = len(routers)
    best = 0
    for h in houses:
        k = bisect_left(routers, h)
        near = routers[k] - h if k < m else 2 * 10**9
        if k > 0 and h - routers[k - 1] < near:
            near = h - routers[k - 1]
        if near > best:
            best = near
    return best
