const tokens = require("fs").readFileSync(0, "utf8").split(/\s+/).filter(Boolean);
const rows = Number(tokens[0]), cols = Number(tokens[1]), k = Number(tokens[2]);
const grid = tokens.slice(3, 3 + rows).join("");
const n = rows * cols, start = grid.indexOf("S"), goal = grid.indexOf("E");
const wall = new Uint8Array(n);
for (let i = 0; i < n; i++) wall[i] = grid[i] === "#" ? 1 : 0;
// fewest[v]: fewest demolitions used to reach v so far (BFS order = order of moves)
const fewest = new Int32Array(n).fill(k + 1);
fewest[start] = 0;
let fv = [start], fu = [0], answer = -1;
for (let moves = 0; fv.length > 0 && answer < 0; moves++) {
  const nv = [], nu = [];
  for (let i = 0; i < fv.length; i++) {
    const v = fv[i], used = fu[i];
    if (v === goal) { answer = moves; break; }
    const r = Math.floor(v / cols), c = v % cols;
    const cand = [r > 0 ? v - cols : -1, r + 1 < rows ? v + cols : -1, c > 0 ? v - 1 : -1, c + 1 < cols ? v + 1 : -1];
    for (const w of cand) {
      if (w < 0) continue;
      const u = used + wall[w];
      if (u < fewest[w]) { fewest[w] = u; nv.push(w); nu.push(u); }
    }
  }
  fv = nv; fu = nu;
}
console.log(String(answer));
