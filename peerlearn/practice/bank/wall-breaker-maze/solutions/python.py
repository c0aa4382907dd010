import sys


def main():
    data = sys.stdin.read().split()
    rows, cols, k = int(data[0]), int(data[1]), int(data[2])
    grid = "".join(data[3 : 3 + rows])
    start, goal = grid.index("S"), grid.index("E")
    wall = [ch == "#" for ch in grid]
    n = rows * cols
    # fewest[v] = fewest demolitions with which v has been reached so far. BFS visits states in
    # order of moves, so a later arrival at v is only useful if it used fewer demolitions.
    fewest = [k + 1] * n
    fewest[start] = 0
    frontier = [(start, 0)]
    moves = 0
    while frontier:
        nxt = []
        for v, used in frontier:
            if v == goal:
                print(moves)
                return
            r, c = divmod(v, cols)
            for w, ok in (
                (v - cols, r > 0),
                (v + cols, r + 1 < rows),
                (v - 1, c > 0),
                (v + 1, c + 1 < cols),
            ):
                if ok:
                    u = used + wall[w]
                    if u < fewest[w]:
                        fewest[w] = u
                        nxt.append((w, u))
        frontier = nxt
        moves += 1
    print(-1)


main()
