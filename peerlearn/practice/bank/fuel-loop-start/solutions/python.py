def loop_start(fuel, cost):
    n = len(fuel)
    if sum(fuel) < sum(cost):
        return -1
    start, tank = 0, 0
    for i in range(n):
        tank += fuel[i] - cost[i]
        if tank < 0:
            # no start in [start, i] can get past leg i: try the next island
            start, tank = i + 1, 0
    return start
