function huntEnds(next) {
  // Mark visited clues; reaching a marked clue again means the hunt loops forever.
  const seen = new Uint8Array(next.length);
  for (let v = 0; v !== -1; v = next[v]) {
    if (seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}
