// A line-based three-way merge, the same rules as the server's peerlearn/live/merge.py: changes to
// different lines merge; overlapping different changes are a conflict (null), never a silent loss.

export function splitLines(text) {
  return text.match(/[^\n]*\n|[^\n]+$/g) || [];
}

/** Hunks [i1, i2, lines]: replace base[i1:i2] with lines to get ``other``. */
export function hunks(base, other) {
  let start = 0;
  while (start < base.length && start < other.length && base[start] === other[start]) start += 1;
  let endBase = base.length;
  let endOther = other.length;
  while (endBase > start && endOther > start && base[endBase - 1] === other[endOther - 1]) {
    endBase -= 1;
    endOther -= 1;
  }
  const a = base.slice(start, endBase);
  const b = other.slice(start, endOther);
  if (!a.length && !b.length) return [];
  if (!a.length || !b.length || a.length * b.length > 4_000_000) {
    return [[start, endBase, b]];
  }
  // Longest common subsequence of the middle part, then the runs between matches.
  const n = a.length;
  const m = b.length;
  const table = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  let runI = 0;
  let runJ = 0;
  const flush = () => {
    if (i > runI || j > runJ) out.push([start + runI, start + i, b.slice(runJ, j)]);
  };
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      flush();
      i += 1;
      j += 1;
      runI = i;
      runJ = j;
    } else if (table[i + 1][j] >= table[i][j + 1]) {
      i += 1;
    } else {
      j += 1;
    }
  }
  i = n;
  j = m;
  flush();
  return out;
}

function overlap([a1, a2], [b1, b2]) {
  if (a1 === a2 && b1 === b2) return a1 === b1;
  return (a1 < b2 && b1 < a2) || (a1 === a2 && b1 <= a1 && a1 < b2) || (b1 === b2 && a1 <= b1 && b1 < a2);
}

function sameHunk(a, b) {
  return a[0] === b[0] && a[1] === b[1] && a[2].length === b[2].length && a[2].every((line, k) => line === b[2][k]);
}

/** The merged text, or null when both edits touch the same lines differently. */
export function merge3(base, mine, theirs) {
  if (mine === theirs || theirs === base) return mine;
  if (mine === base) return theirs;
  const b = splitLines(base);
  const mineHunks = hunks(b, splitLines(mine));
  const theirHunks = hunks(b, splitLines(theirs));
  for (const m of mineHunks) {
    for (const t of theirHunks) {
      if (overlap(m, t) && !sameHunk(m, t)) return null;
    }
  }
  const unique = [];
  for (const h of [...mineHunks, ...theirHunks]) {
    if (!unique.some((u) => sameHunk(u, h))) unique.push(h);
  }
  unique.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out = [];
  let cursor = 0;
  for (const [i1, i2, lines] of unique) {
    out.push(...b.slice(cursor, i1), ...lines);
    cursor = Math.max(cursor, i2);
  }
  out.push(...b.slice(cursor));
  return out.join("");
}
