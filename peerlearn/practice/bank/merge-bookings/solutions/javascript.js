function mergeBookings(bookings) {
  const sorted = bookings.slice().sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const blocks = [];
  for (const [start, end] of sorted) {
    const last = blocks[blocks.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else blocks.push([start, end]);
  }
  return blocks;
}
