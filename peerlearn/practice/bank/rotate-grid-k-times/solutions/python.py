def rotate_grid(grid, k):
    turns = k % 4  # Python's % is never negative: -1 % 4 == 3
    for _ in range(turns):
        # one clockwise quarter turn: the last row becomes the first column
        rows, cols = len(grid), len(grid[0])
        grid = [[grid[rows - 1 - r][c] for r in range(rows)] for c in range(cols)]
    return grid
