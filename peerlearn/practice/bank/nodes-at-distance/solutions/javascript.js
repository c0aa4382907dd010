function relaysAtDistance(n, edges, source, k) {
  const adj = Array.from({ length: n }, () => []);
  for (const [u, v] of edges) { adj[u].push(v); adj[v].push(u); }
  const seen = new Uint8Array(n);
  seen[source] = 1;
  let ring = [source];
  for (let step = 0; step < k && ring.length > 0; step++) {
    const next = [];
    for (const u of ring) for (const v of adj[u]) if (!seen[v]) { seen[v] = 1; next.push(v); }
    ring = next;
  }
  return ring;
}
