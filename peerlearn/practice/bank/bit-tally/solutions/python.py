import sys


def lit_up_to(x):
    """Total number of 1 bits in the binary forms of 0, 1, ..., x."""
    if x < 0:
        return 0
    total = 0
    n = x + 1
    half = 1
    while half <= x:
        period = half * 2
        total += n // period * half
        rest = n % period - half
        if rest > 0:
            total += rest
        half = period
    return total


def main():
    data = sys.stdin.buffer.read().split()
    q = int(data[0])
    out = []
    for i in range(q):
        l, r = int(data[1 + 2 * i]), int(data[2 + 2 * i])
        out.append(lit_up_to(r) - lit_up_to(l - 1))
    sys.stdout.write("\n".join(map(str, out)) + "\n")


main()
