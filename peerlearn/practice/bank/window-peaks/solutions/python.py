from collections import deque


def window_peaks(readings, k):
    candidates = deque()
    peaks = []
    for i, value in enumerate(readings):
        while candidates and readings[candidates[-1]] <= value:
            candidates.pop()
        candidates.append(i)
        if candidates[0] <= i - k:
            candidates.popleft()
        if i >= k - 1:
            peaks.append(readings[candidates[0]])
    return peaks
