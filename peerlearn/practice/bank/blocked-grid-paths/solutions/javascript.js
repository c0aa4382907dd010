function countRoutes(grid) {
  const MOD = 1000000007;
  const rows = grid.length, cols = grid[0].length;
  let prev = new Array(cols).fill(0);
  for (let r = 0; r < rows; r++) {
    const cur = new Array(cols).fill(0);
    for (let c = 0; c < cols; c++) {
      if (grid[r][c] === 1) continue;
      if (r === 0 && c === 0) { cur[c] = 1; continue; }
      let ways = prev[c];
      if (c > 0) ways += cur[c - 1] + prev[c - 1];
      cur[c] = ways % MOD; // at most 3 * 10^9 before the modulo: exact in a double
    }
    prev = cur;
  }
  return prev[cols - 1];
}
