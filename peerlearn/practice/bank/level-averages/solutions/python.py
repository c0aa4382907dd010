def level_averages(tree):
    # Level order with -1 for a missing child: after the root, the entries come in pairs
    # (left, right) for every present node, in the order the nodes appear.
    averages = []
    level = [tree[0]]  # values of the current level
    pos = 1  # next unread entry of `tree`
    while level:
        averages.append(sum(level) / len(level))
        nxt = []
        for _ in range(2 * len(level)):
            if pos < len(tree) and tree[pos] != -1:
                nxt.append(tree[pos])
            pos += 1
        level = nxt
    return averages
