import sys


def main():
    data = sys.stdin.read().split()
    q = int(data[0])
    for i in range(q):
        l, r = int(data[1 + 2 * i]), int(data[2 + 2 * i])
        # TODO: print how many primes lie in [l, r]


main()
