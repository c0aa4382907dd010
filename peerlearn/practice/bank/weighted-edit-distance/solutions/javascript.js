function repairCost(a, b, ins, rem, sub) {
  const n = a.length, m = b.length;
  let prev = new Int32Array(m + 1), cur = new Int32Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j * ins;
  for (let i = 1; i <= n; i++) {
    cur[0] = i * rem;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= m; j++) {
      const keep = prev[j - 1] + (ca === b.charCodeAt(j - 1) ? 0 : sub);
      cur[j] = Math.min(keep, prev[j] + rem, cur[j - 1] + ins);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[m];
}
