function minRooms(interviews) {
  // two sorted lists: a start needs a new room unless some interview has already ended
  const starts = interviews.map((x) => x[0]).sort((a, b) => a - b);
  const ends = interviews.map((x) => x[1]).sort((a, b) => a - b);
  let rooms = 0, best = 0, j = 0;
  for (const s of starts) {
    while (ends[j] <= s) { j++; rooms--; }
    rooms++;
    if (rooms > best) best = rooms;
  }
  return best;
}
