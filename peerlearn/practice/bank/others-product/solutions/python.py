MOD = 1_000_000_007


def others_product(gears):
    n = len(gears)
    answer = [1] * n
    running = 1
    for i in range(n):
        answer[i] = running
        running = running * gears[i] % MOD
    running = 1
    for i in range(n - 1, -1, -1):
        answer[i] = answer[i] * running % MOD
        running = running * gears[i] % MOD
    return answer
