function studyOrder(n, rules) {
  const after = Array.from({ length: n }, () => []);
  const missing = new Int32Array(n);
  for (const [a, b] of rules) { after[a].push(b); missing[b]++; }
  // binary min-heap of modules that can be taken now
  const heap = [];
  const push = (x) => {
    let i = heap.length; heap.push(x);
    while (i > 0) { const p = (i - 1) >> 1; if (heap[p] <= x) break; heap[i] = heap[p]; i = p; }
    heap[i] = x;
  };
  const pop = () => {
    const top = heap[0], last = heap.pop();
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = l < heap.length && heap[l] < last ? l : -1;
        if (r < heap.length && heap[r] < (m === -1 ? last : heap[m])) m = r;
        if (m === -1) break;
        heap[i] = heap[m]; i = m;
      }
      heap[i] = last;
    }
    return top;
  };
  for (let v = 0; v < n; v++) if (missing[v] === 0) push(v);
  const order = [];
  while (heap.length > 0) {
    const v = pop();
    order.push(v);
    for (const w of after[v]) if (--missing[w] === 0) push(w);
  }
  return order.length === n ? order : [];
}
