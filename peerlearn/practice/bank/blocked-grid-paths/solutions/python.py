MOD = 1_000_000_007


def count_routes(grid):
    rows, cols = len(grid), len(grid[0])
    prev = [0] * cols  # ways to reach each cell of the previous row
    for r in range(rows):
        cur = [0] * cols
        row = grid[r]
        for c in range(cols):
            if row[c] == 1:
                continue
            if r == 0 and c == 0:
                cur[c] = 1
                continue
            ways = prev[c]  # from above
            if c > 0:
                ways += cur[c - 1] + prev[c - 1]  # from the left, and diagonally from up-left
            cur[c] = ways % MOD
        prev = cur
    return prev[cols - 1]
