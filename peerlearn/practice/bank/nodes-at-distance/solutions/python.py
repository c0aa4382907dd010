def relays_at_distance(n, edges, source, k):
    adj = [[] for _ in range(n)]
    for u, v in edges:
        adj[u].append(v)
        adj[v].append(u)
    # breadth-first search, k rings out from the source
    seen = [False] * n
    seen[source] = True
    ring = [source]
    for _ in range(k):
        nxt = []
        for u in ring:
            for v in adj[u]:
                if not seen[v]:
                    seen[v] = True
                    nxt.append(v)
        ring = nxt
        if not ring:
            break
    return ring
