def repair_cost(a, b, ins, rem, sub):
    m = len(b)
    # prev[j] = cheapest way to turn the processed prefix of a into b[:j]
    prev = [j * ins for j in range(m + 1)]
    for i, ca in enumerate(a, 1):
        cur = [i * rem] + [0] * m
        for j in range(1, m + 1):
            best = prev[j - 1] + (0 if ca == b[j - 1] else sub)  # keep or substitute
            x = prev[j] + rem                                    # delete a's character
            if x < best:
                best = x
            x = cur[j - 1] + ins                                 # insert b's character
            if x < best:
                best = x
            cur[j] = best
        prev = cur
    return prev[m]
