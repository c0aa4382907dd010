function kthLoudest(k, readings) {
  // hand-written binary min-heap holding the k largest readings so far
  const heap = [];
  const up = (i) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p] <= heap[i]) break;
      [heap[p], heap[i]] = [heap[i], heap[p]];
      i = p;
    }
  };
  const down = (i) => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < heap.length && heap[l] < heap[m]) m = l;
      if (r < heap.length && heap[r] < heap[m]) m = r;
      if (m === i) return;
      [heap[m], heap[i]] = [heap[i], heap[m]];
      i = m;
    }
  };
  const out = [];
  for (const x of readings) {
    if (heap.length < k) { heap.push(x); up(heap.length - 1); }
    else if (x > heap[0]) { heap[0] = x; down(0); }
    out.push(heap.length === k ? heap[0] : -1);
  }
  return out;
}
