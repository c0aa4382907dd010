function loopStart(fuel, cost) {
  let total = 0, tank = 0, start = 0;
  for (let i = 0; i < fuel.length; i++) {
    const net = fuel[i] - cost[i];
    total += net;
    tank += net;
    if (tank < 0) { start = i + 1; tank = 0; }
  }
  return total < 0 ? -1 : start;
}
