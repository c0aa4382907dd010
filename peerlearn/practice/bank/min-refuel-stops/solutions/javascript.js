function minStops(distance, tank, depots) {
  // binary max-heap of litres at depots already within reach
  const heap = [];
  const push = (x) => {
    let i = heap.length; heap.push(x);
    while (i > 0) { const p = (i - 1) >> 1; if (heap[p] >= x) break; heap[i] = heap[p]; i = p; }
    heap[i] = x;
  };
  const pop = () => {
    const top = heap[0], last = heap.pop();
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = -1, best = last;
        if (l < heap.length && heap[l] > best) { m = l; best = heap[l]; }
        if (r < heap.length && heap[r] > best) { m = r; }
        if (m === -1) break;
        heap[i] = heap[m]; i = m;
      }
      heap[i] = last;
    }
    return top;
  };
  let reach = tank, stops = 0, i = 0;
  while (reach < distance) {
    while (i < depots.length && depots[i][0] <= reach) push(depots[i++][1]);
    if (heap.length === 0) return -1;
    reach += pop();
    stops++;
  }
  return stops;
}
