function rotateGrid(grid, k) {
  const turns = ((k % 4) + 4) % 4; // JavaScript's % keeps the sign of k
  let g = grid;
  for (let t = 0; t < turns; t++) {
    const rows = g.length, cols = g[0].length;
    const next = Array.from({ length: cols }, () => new Array(rows));
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) next[c][rows - 1 - r] = g[r][c];
    g = next;
  }
  return g;
}
