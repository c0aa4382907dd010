import sys


def main():
    data = sys.stdin.read().split()
    q = int(data[0])
    for i in range(q):
        l, r = int(data[1 + 2 * i]), int(data[2 + 2 * i])
        # TODO: print the total number of lit lamps for the scores l, l+1, ..., r


main()
