function minCancellations(shows) {
  const byEnd = shows.slice().sort((a, b) => a[1] - b[1]);
  let kept = 0, freeFrom = -Infinity;
  for (const [start, end] of byEnd) {
    if (start >= freeFrom) { kept++; freeFrom = end; }
  }
  return shows.length - kept;
}
