function tunnelDistances(parent, queries) {
  const n = parent.length;
  let root = 0;
  const head = new Int32Array(n).fill(-1), next = new Int32Array(n).fill(-1);
  for (let v = 0; v < n; v++) {
    if (parent[v] === -1) root = v;
    else { next[v] = head[parent[v]]; head[parent[v]] = v; }
  }
  const depth = new Int32Array(n), order = new Int32Array(n);
  order[0] = root;
  for (let i = 0, len = 1; i < len; i++) {
    const v = order[i];
    for (let c = head[v]; c !== -1; c = next[c]) { depth[c] = depth[v] + 1; order[len++] = c; }
  }
  let levels = 1;
  while ((1 << levels) <= n) levels++;
  const up = [Int32Array.from(parent, (p) => (p === -1 ? root : p))];
  for (let j = 1; j < levels; j++) {
    const prev = up[j - 1], cur = new Int32Array(n);
    for (let v = 0; v < n; v++) cur[v] = prev[prev[v]];
    up.push(cur);
  }
  const lca = (u, v) => {
    if (depth[u] < depth[v]) [u, v] = [v, u];
    for (let diff = depth[u] - depth[v], j = 0; diff; j++, diff >>= 1) if (diff & 1) u = up[j][u];
    if (u === v) return u;
    for (let j = levels - 1; j >= 0; j--) if (up[j][u] !== up[j][v]) { u = up[j][u]; v = up[j][v]; }
    return up[0][u];
  };
  return queries.map(([u, v]) => depth[u] + depth[v] - 2 * depth[lca(u, v)]);
}
