function levelAverages(tree) {
  // Level order with -1 for a missing child: each present node owns the next two entries.
  const averages = [];
  let pos = 1, count = 1, sum = tree[0];
  while (count > 0) {
    averages.push(sum / count);
    let nextCount = 0, nextSum = 0;
    for (let i = 0; i < 2 * count; i++, pos++) {
      if (pos < tree.length && tree[pos] !== -1) { nextCount++; nextSum += tree[pos]; }
    }
    count = nextCount; sum = nextSum;
  }
  return averages;
}
