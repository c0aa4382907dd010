function generations(parent) {
  const n = parent.length;
  const head = new Int32Array(n).fill(-1), next = new Int32Array(n).fill(-1);
  let root = -1;
  for (let v = 0; v < n; v++) {
    const p = parent[v];
    if (p === -1) root = v;
    else { next[v] = head[p]; head[p] = v; }
  }
  // breadth-first search, one generation at a time
  let level = [root], depth = 0;
  while (level.length > 0) {
    depth++;
    const nextLevel = [];
    for (const v of level) for (let c = head[v]; c !== -1; c = next[c]) nextLevel.push(c);
    level = nextLevel;
  }
  return depth;
}
