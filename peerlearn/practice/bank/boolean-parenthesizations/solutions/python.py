MOD = 1_000_000_007


def true_bracketings(expr):
    vals = expr[0::2]
    ops = expr[1::2]
    n = len(vals)
    # t[i][j] / f[i][j]: bracketings of values i..j that evaluate to true / false
    t = [[0] * n for _ in range(n)]
    f = [[0] * n for _ in range(n)]
    for i in range(n):
        t[i][i] = 1 if vals[i] == "T" else 0
        f[i][i] = 1 - t[i][i]
    for length in range(2, n + 1):
        for i in range(n - length + 1):
            j = i + length - 1
            tt = ff = 0
            ti, fi = t[i], f[i]
            for k in range(i, j):  # the last operator applied is ops[k], between values k and k+1
                lt, lf = ti[k], fi[k]
                rt, rf = t[k + 1][j], f[k + 1][j]
                op = ops[k]
                if op == "&":
                    yes = lt * rt
                    no = lt * rf + lf * rt + lf * rf
                elif op == "|":
                    yes = lt * rt + lt * rf + lf * rt
                    no = lf * rf
                else:  # "^"
                    yes = lt * rf + lf * rt
                    no = lt * rt + lf * rf
                tt += yes
                ff += no
            t[i][j] = tt % MOD
            f[i][j] = ff % MOD
    return t[0][n - 1]
