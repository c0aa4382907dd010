def locker_pair(labels, target):
    seen = {}
    for j, value in enumerate(labels):
        i = seen.get(target - value)
        if i is not None:
            return [i, j]
        if value not in seen:
            seen[value] = j
    return []
