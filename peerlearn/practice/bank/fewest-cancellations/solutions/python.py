def min_cancellations(shows):
    # keep as many shows as possible: always keep the compatible show that ends first
    kept = 0
    free_from = None
    for start, end in sorted(shows, key=lambda s: s[1]):
        if free_from is None or start >= free_from:
            kept += 1
            free_from = end
    return len(shows) - kept
