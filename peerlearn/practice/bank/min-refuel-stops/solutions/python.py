import heapq


def min_stops(distance, tank, depots):
    reach = tank          # how far we can get with the depots chosen so far
    passed = []           # max-heap (negated) of litres at depots we drove past without stopping
    stops = 0
    i = 0
    while reach < distance:
        while i < len(depots) and depots[i][0] <= reach:
            heapq.heappush(passed, -depots[i][1])
            i += 1
        if not passed:
            return -1
        # stuck: pretend we stopped at the richest depot we passed
        reach += -heapq.heappop(passed)
        stops += 1
    return stops
