const data = require("fs").readFileSync(0, "utf8");
let p = 0;
function nextInt() {
  while (data.charCodeAt(p) < 48) p++;
  let x = 0;
  for (let c = data.charCodeAt(p); c >= 48 && c <= 57; c = data.charCodeAt(++p)) x = x * 10 + (c - 48);
  return x;
}
const MOD = 1000000007;
const n = nextInt(), m = nextInt();
// adjacency in compressed arrays
const head = new Int32Array(n + 1).fill(-1), nxt = new Int32Array(2 * m), to = new Int32Array(2 * m), wt = new Float64Array(2 * m);
for (let i = 0; i < m; i++) {
  const u = nextInt(), v = nextInt(), w = nextInt();
  to[2 * i] = v; wt[2 * i] = w; nxt[2 * i] = head[u]; head[u] = 2 * i;
  to[2 * i + 1] = u; wt[2 * i + 1] = w; nxt[2 * i + 1] = head[v]; head[v] = 2 * i + 1;
}
const dist = new Float64Array(n + 1).fill(Infinity), ways = new Float64Array(n + 1);
dist[1] = 0; ways[1] = 1;
// binary min-heap of [distance, node]
const hd = [], hv = [];
function push(d, v) {
  let i = hd.length; hd.push(d); hv.push(v);
  while (i > 0) {
    const q = (i - 1) >> 1;
    if (hd[q] <= hd[i]) break;
    [hd[q], hd[i]] = [hd[i], hd[q]]; [hv[q], hv[i]] = [hv[i], hv[q]]; i = q;
  }
}
function pop() {
  const d = hd[0], v = hv[0], ld = hd.pop(), lv = hv.pop();
  if (hd.length > 0) {
    hd[0] = ld; hv[0] = lv;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let s = i;
      if (l < hd.length && hd[l] < hd[s]) s = l;
      if (r < hd.length && hd[r] < hd[s]) s = r;
      if (s === i) break;
      [hd[s], hd[i]] = [hd[i], hd[s]]; [hv[s], hv[i]] = [hv[i], hv[s]]; i = s;
    }
  }
  return [d, v];
}
push(0, 1);
while (hd.length > 0) {
  const [d, u] = pop();
  if (d > dist[u]) continue;
  if (u === n) break;
  for (let e = head[u]; e !== -1; e = nxt[e]) {
    const v = to[e], nd = d + wt[e];
    if (nd < dist[v]) { dist[v] = nd; ways[v] = ways[u]; push(nd, v); }
    else if (nd === dist[v]) ways[v] = (ways[v] + ways[u]) % MOD;
  }
}
console.log(dist[n] === Infinity ? "-1" : `${dist[n]} ${ways[n]}`);
