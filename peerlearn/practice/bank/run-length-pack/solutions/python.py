def pack_beads(beads):
    parts = []
    n = len(beads)
    i = 0
    while i < n:
        j = i
        while j < n and beads[j] == beads[i]:
            j += 1
        parts.append(beads[i])
        if j - i > 1:
            parts.append(str(j - i))
        i = j
    return "".join(parts)
