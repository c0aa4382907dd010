def fresh_streak(plays):
    last = {}
    left = 0
    best = 0
    for right, song in enumerate(plays):
        p = last.get(song, -1)
        if p >= left:
            left = p + 1
        last[song] = right
        if right - left + 1 > best:
            best = right - left + 1
    return best
