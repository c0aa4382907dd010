import sys


def main():
    data = sys.stdin.buffer.read().split()
    n, m = int(data[0]), int(data[1])
    roads = []
    for i in range(m):
        u, v, w = int(data[2 + 3 * i]), int(data[3 + 3 * i]), int(data[4 + 3 * i])
        roads.append((u, v, w))
    # TODO: print "-1", or the fastest time and the number of fastest routes modulo 1000000007
    print(-1)


main()
