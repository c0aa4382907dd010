import heapq


def min_rooms(interviews):
    busy_until = []  # min-heap of end times of the rooms in use
    for start, end in sorted(interviews):
        if busy_until and busy_until[0] <= start:
            heapq.heapreplace(busy_until, end)  # reuse the room that frees up first
        else:
            heapq.heappush(busy_until, end)  # open a new room
    return len(busy_until)
