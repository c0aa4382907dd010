// The call's video tiles: building a tile (video, caption, mic-off and quality marks, an avatar
// when there is no video), playing a remote video with sound, and the grid's layout.

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function svgIcon(paths) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "i");
  svg.setAttribute("aria-hidden", "true");
  for (const d of paths) {
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

/** A video tile: the <video>, a name caption, mic-off and quality marks, an avatar when no video. */
export function makeTile({ name, kind = "camera", local = false }) {
  const tile = element("figure", `tile tile-${kind}${local ? " tile-local" : ""} no-video`);
  const video = element("video");
  video.autoplay = true;
  video.playsInline = true;
  if (local) video.muted = true;
  const avatar = element("div", "tile-avatar", (name || "?").slice(0, 1).toUpperCase());
  avatar.setAttribute("aria-hidden", "true");
  const caption = element("figcaption", "tile-caption");
  const label = element("span", "tile-name", kind === "screen" ? `${name} · screen` : name);
  const mic = element("span", "tile-muted");
  mic.append(svgIcon(["M15 9.3V5a3 3 0 0 0-5.7-1.3", "M9 9v2a3 3 0 0 0 5.1 2.1", "M5 11a7 7 0 0 0 11.5 5.4",
    "M19 11a7 7 0 0 1-.6 2.8", "M12 18v4", "M3 3l18 18"]));
  mic.title = "Microphone off";
  mic.setAttribute("role", "img");
  mic.setAttribute("aria-label", "Microphone off");
  mic.hidden = true;
  const quality = element("span", "quality-dot");
  quality.hidden = kind === "screen" || local;
  caption.append(quality, label, mic);
  const notice = element("button", "tile-notice");
  notice.type = "button";
  notice.hidden = true;
  tile.append(video, avatar, caption, notice);
  return { tile, video, caption, mic, quality, notice, label };
}

/** Play a remote <video>; when autoplay with sound is refused, play muted and offer a click. */
export function playWithSound(parts) {
  const { video, notice } = parts;
  const attempt = video.play();
  if (!attempt || !attempt.catch) return;
  attempt.catch((error) => {
    if (error && error.name === "AbortError") return;
    video.muted = true;
    video.play().catch(() => {});
    notice.textContent = "Click to turn on sound";
    notice.hidden = false;
    notice.onclick = () => {
      video.muted = false;
      video.play().catch(() => {});
      notice.hidden = true;
    };
  });
}

/** Tile count drives the grid's columns; a shared screen takes the stage. */
export function layoutTiles(tiles) {
  const count = tiles.querySelectorAll(".tile").length;
  const screens = tiles.querySelectorAll(".tile-screen").length;
  tiles.dataset.count = String(Math.min(count, 6));
  tiles.classList.toggle("has-screen", screens > 0);
}
