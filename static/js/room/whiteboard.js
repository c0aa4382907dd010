// The shared whiteboard: strokes in 0..1 coordinates (so every screen size draws the same
// picture), drawn with pointer events, sent when the pen lifts, replayed for latecomers and on
// the session's record page (read-only). Widths are in thousandths of the board's width.

export const MAX_POINTS = 2000; // the server's limit per stroke
const MIN_STEP = 0.0015; // skip points closer than this to the previous one
const ASPECT = 4 / 3;

export function normalize(x, y, rect) {
  const clamp = (v) => Math.min(1, Math.max(0, v));
  return [Number(clamp((x - rect.left) / rect.width).toFixed(4)), Number(clamp((y - rect.top) / rect.height).toFixed(4))];
}

/** Split a long stroke into pieces the server accepts, each starting where the last ended. */
export function chunk(points, size = MAX_POINTS) {
  if (points.length <= size) return [points];
  const pieces = [];
  for (let start = 0; start < points.length - 1; start += size - 1) {
    pieces.push(points.slice(start, start + size));
  }
  return pieces;
}

export function drawStroke(ctx, data, width, height) {
  const points = data.points || [];
  if (!points.length) return;
  ctx.save();
  ctx.globalCompositeOperation = data.erase ? "destination-out" : "source-over";
  ctx.strokeStyle = data.erase ? "#000" : data.color || "#222222";
  ctx.fillStyle = ctx.strokeStyle;
  const lineWidth = Math.max(1, ((data.width || 3) * width) / 1000);
  ctx.lineWidth = lineWidth;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  if (points.length === 1) {
    ctx.beginPath();
    ctx.arc(points[0][0] * width, points[0][1] * height, lineWidth / 2, 0, Math.PI * 2);
    ctx.fill();
    ctx.restore();
    return;
  }
  ctx.beginPath();
  ctx.moveTo(points[0][0] * width, points[0][1] * height);
  for (let i = 1; i < points.length - 1; i += 1) {
    const [x1, y1] = points[i];
    const [x2, y2] = points[i + 1];
    ctx.quadraticCurveTo(x1 * width, y1 * height, ((x1 + x2) / 2) * width, ((y1 + y2) / 2) * height);
  }
  const last = points[points.length - 1];
  ctx.lineTo(last[0] * width, last[1] * height);
  ctx.stroke();
  ctx.restore();
}

export class Whiteboard extends EventTarget {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {object} o  readOnly; me: {id}; send(message) → bool; strokes: [{id, data}]
   */
  constructor(canvas, { readOnly = false, me = null, send = null, strokes = [] } = {}) {
    super();
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.readOnly = readOnly;
    this.me = me;
    this.sendOut = send;
    this.strokes = []; // confirmed by the server: {id, data}
    this.pending = []; // drawn here, not yet echoed back
    this.current = null;
    this.tool = { color: "#1b2033", width: 4, erase: false };
    this.setStrokes(strokes);
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(canvas);
    if (!readOnly) this.bindPointer();
    this.resize();
  }

  setTool(tool) {
    this.tool = { ...this.tool, ...tool };
  }

  setStrokes(strokes) {
    this.strokes = strokes.map((s) => ({ id: s.id, data: s.data }));
    this.pending = [];
    this.redraw();
  }

  /** The id of the last stroke confirmed by the server (0: none). */
  lastStrokeId() {
    return this.strokes.reduce((max, s) => Math.max(max, s.id || 0), 0);
  }

  /** A stroke event from the server (our own come back too: they confirm a pending one). */
  addStroke(event) {
    if (this.strokes.some((s) => s.id === event.id)) return;
    if (this.me && event.author === this.me.id && this.pending.length) this.pending.shift();
    this.strokes.push({ id: event.id, data: event.data });
    this.redraw();
    this.dispatchEvent(new CustomEvent("stroke", { detail: event }));
  }

  clear() {
    this.strokes = [];
    this.pending = [];
    this.redraw();
  }

  requestClear() {
    if (this.sendOut) return this.sendOut({ type: "wb.clear" });
    return false;
  }

  resize() {
    const cssWidth = this.canvas.clientWidth;
    if (!cssWidth) return;
    const cssHeight = this.canvas.clientHeight || cssWidth / ASPECT;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(cssWidth * ratio);
    const height = Math.round(cssHeight * ratio);
    if (width === this.canvas.width && height === this.canvas.height) return;
    this.canvas.width = width;
    this.canvas.height = height;
    this.redraw();
  }

  redraw() {
    const { width, height } = this.canvas;
    this.ctx.clearRect(0, 0, width, height);
    for (const stroke of this.strokes) drawStroke(this.ctx, stroke.data, width, height);
    for (const data of this.pending) drawStroke(this.ctx, data, width, height);
    if (this.current) drawStroke(this.ctx, this.current, width, height);
  }

  bindPointer() {
    const canvas = this.canvas;
    canvas.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      const rect = canvas.getBoundingClientRect();
      this.current = {
        points: [normalize(event.clientX, event.clientY, rect)],
        color: this.tool.color,
        width: this.tool.erase ? Math.max(16, this.tool.width * 4) : this.tool.width,
        erase: this.tool.erase,
      };
      this.redraw();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!this.current) return;
      const rect = canvas.getBoundingClientRect();
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      for (const e of events.length ? events : [event]) {
        const point = normalize(e.clientX, e.clientY, rect);
        const last = this.current.points[this.current.points.length - 1];
        if (Math.hypot(point[0] - last[0], point[1] - last[1]) >= MIN_STEP) this.current.points.push(point);
      }
      this.redraw();
    });
    const finish = () => {
      if (!this.current) return;
      const stroke = this.current;
      this.current = null;
      for (const points of chunk(stroke.points)) {
        const data = { ...stroke, points };
        if (this.sendOut && this.sendOut({ type: "wb.stroke", data })) {
          this.pending.push(data);
        }
      }
      this.redraw();
    };
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    canvas.addEventListener("lostpointercapture", finish);
  }
}
