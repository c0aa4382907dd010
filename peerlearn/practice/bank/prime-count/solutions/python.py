import sys
from itertools import accumulate


def main():
    data = sys.stdin.buffer.read().split()
    q = int(data[0])
    nums = list(map(int, data[1 : 1 + 2 * q]))
    limit = max(nums) if nums else 1
    sieve = bytearray([1]) * (limit + 1)
    sieve[0] = 0
    if limit >= 1:
        sieve[1] = 0
    p = 2
    while p * p <= limit:
        if sieve[p]:
            sieve[p * p :: p] = bytes(len(range(p * p, limit + 1, p)))
        p += 1
    upto = list(accumulate(sieve))
    out = []
    for i in range(q):
        l, r = nums[2 * i], nums[2 * i + 1]
        out.append(upto[r] - upto[l - 1])
    sys.stdout.write("\n".join(map(str, out)) + "\n")


main()
