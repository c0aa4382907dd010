function minToll(toll) {
  const n = toll.length;
  let a = Infinity, b = Infinity, c = 0; // positions i-3, i-2, i-1; the ground is position -1
  for (let i = 0; i <= n; i++) {
    const here = (i < n ? toll[i] : 0) + Math.min(a, b, c);
    a = b; b = c; c = here;
  }
  return c;
}
