import sys


def main():
    data = sys.stdin.read().split()
    rows, cols, k = int(data[0]), int(data[1]), int(data[2])
    grid = data[3 : 3 + rows]  # grid[r][c] is one of 'S', 'E', '.', '#'
    # TODO: print the fewest moves from S to E demolishing at most k walls, or -1
    print(-1)


main()
