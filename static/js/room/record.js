// The session's record page: the whiteboard as it was left, replayed read-only.

import { Whiteboard } from "./whiteboard.js";

const canvas = document.getElementById("board");
const source = document.getElementById("wb-strokes");
if (canvas && source) {
  const board = new Whiteboard(canvas, { readOnly: true, strokes: JSON.parse(source.textContent) });
  window.peerlearnRecord = { board };
}
