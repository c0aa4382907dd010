from bisect import bisect_left


def longest_rise(altitudes):
    # tails[k] = smallest possible last altitude of a strictly rising selection of length k + 1
    tails = []
    for a in altitudes:
        k = bisect_left(tails, a)  # first tail >= a (strict rise: equal values replace)
        if k == len(tails):
            tails.append(a)
        else:
            tails[k] = a
    return len(tails)
