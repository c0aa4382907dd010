import sys


def main():
    data = sys.stdin.read().split()
    n = int(data[0])
    heights = list(map(int, data[1:1 + n]))
    # TODO: print the total amount of trapped water


main()
