def count_exact_stretches(balance, goal):
    seen = {0: 1}
    prefix = 0
    total = 0
    for value in balance:
        prefix += value
        total += seen.get(prefix - goal, 0)
        seen[prefix] = seen.get(prefix, 0) + 1
    return total
