def generations(parent):
    n = len(parent)
    children = [[] for _ in range(n)]
    root = -1
    for v, p in enumerate(parent):
        if p == -1:
            root = v
        else:
            children[p].append(v)
    # breadth-first search, one generation at a time (no recursion: the tree may be a long chain)
    depth = 0
    level = [root]
    while level:
        depth += 1
        level = [c for v in level for c in children[v]]
    return depth
