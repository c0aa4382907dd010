function trueBracketings(expr) {
  const MOD = 1000000007n;
  const n = (expr.length + 1) >> 1;
  // t[i][j] / f[i][j]: bracketings of values i..j that evaluate to true / false (BigInt products)
  const t = Array.from({ length: n }, () => new Array(n).fill(0n));
  const f = Array.from({ length: n }, () => new Array(n).fill(0n));
  for (let i = 0; i < n; i++) {
    t[i][i] = expr[2 * i] === "T" ? 1n : 0n;
    f[i][i] = 1n - t[i][i];
  }
  for (let len = 2; len <= n; len++) {
    for (let i = 0; i + len - 1 < n; i++) {
      const j = i + len - 1;
      let tt = 0n, ff = 0n;
      for (let k = i; k < j; k++) {
        const lt = t[i][k], lf = f[i][k], rt = t[k + 1][j], rf = f[k + 1][j];
        const op = expr[2 * k + 1];
        if (op === "&") { tt += lt * rt; ff += lt * rf + lf * rt + lf * rf; }
        else if (op === "|") { tt += lt * rt + lt * rf + lf * rt; ff += lf * rf; }
        else { tt += lt * rf + lf * rt; ff += lt * rt + lf * rf; }
      }
      t[i][j] = tt % MOD;
      f[i][j] = ff % MOD;
    }
  }
  return Number(t[0][n - 1]);
}
