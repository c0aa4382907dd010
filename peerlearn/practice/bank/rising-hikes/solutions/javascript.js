function longestRise(altitudes) {
  const tails = []; // tails[k] = smallest last altitude of a rising selection of length k + 1
  for (const a of altitudes) {
    let lo = 0, hi = tails.length; // first index with tails[i] >= a
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tails[mid] < a) lo = mid + 1; else hi = mid;
    }
    tails[lo] = a;
  }
  return tails.length;
}
