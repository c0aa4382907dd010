def banner_cut(strip, slogan):
    need = {}
    for c in slogan:
        need[c] = need.get(c, 0) + 1
    missing = len(slogan)
    best_start, best_len = 0, len(strip) + 1
    left = 0
    for right, c in enumerate(strip):
        have = need.get(c)
        if have is not None:
            if have > 0:
                missing -= 1
            need[c] = have - 1
        if missing == 0:
            while True:
                d = strip[left]
                h = need.get(d)
                if h is None:
                    left += 1
                elif h < 0:
                    need[d] = h + 1
                    left += 1
                else:
                    break
            if right - left + 1 < best_len:
                best_start, best_len = left, right - left + 1
    return strip[best_start:best_start + best_len] if best_len <= len(strip) else ""
