// Screen sharing: the screen as one more video track to every peer, shown in its own tile next
// to the camera. Functions of the call, whose ``screenStream`` they keep.

import { makeTile } from "./tiles.js";

export async function startShare(call) {
  if (call.screenStream) return call.screenStream;
  const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
  const track = stream.getVideoTracks()[0];
  if ("contentHint" in track) track.contentHint = "detail";
  call.screenStream = stream;
  track.addEventListener("ended", () => call.stopShare());
  call.screenLocal = makeTile({ name: "You", kind: "screen", local: true });
  call.screenLocal.tile.classList.remove("no-video");
  call.screenLocal.tile.dataset.peer = "me";
  call.screenLocal.label.textContent = "Your screen";
  call.screenLocal.video.srcObject = stream;
  call.tiles.prepend(call.screenLocal.tile);
  call.screenLocal.video.play().catch(() => {});
  for (const peer of call.peers.values()) {
    peer.send({ streams: peer.streamsMeta() });
    peer.senders.screen = peer.pc.addTrack(track, stream);
  }
  call.layout();
  call.dispatchEvent(new CustomEvent("share", { detail: { sharing: true } }));
  return stream;
}

export function stopShare(call) {
  const stream = call.screenStream;
  if (!stream) return;
  call.screenStream = null;
  stream.getTracks().forEach((t) => t.stop());
  for (const peer of call.peers.values()) {
    if (peer.senders.screen) {
      try {
        peer.pc.removeTrack(peer.senders.screen);
      } catch {
        /* connection closed */
      }
      peer.senders.screen = null;
    }
    peer.send({ streams: peer.streamsMeta() });
  }
  if (call.screenLocal) {
    call.screenLocal.video.srcObject = null;
    call.screenLocal.tile.remove();
    call.screenLocal = null;
  }
  call.layout();
  call.dispatchEvent(new CustomEvent("share", { detail: { sharing: false } }));
}
