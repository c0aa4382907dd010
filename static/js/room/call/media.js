// The local camera and microphone: getting them (with fallbacks), the local tile, the device
// list, switching a device (the new track swapped into every connection) and mute / camera off.
// Functions of the call, whose ``localStream``, ``micOn`` and ``cameraOn`` they keep.

const CAMERA = { width: { ideal: 1280 }, height: { ideal: 720 } };

function tracksOf(stream, kind) {
  return kind === "video" ? stream.getVideoTracks() : stream.getAudioTracks();
}

/** Camera and microphone, or what of them is there; the local tile shows the result. */
export async function startMedia(call) {
  const attempts = [
    { audio: true, video: CAMERA },
    { audio: true, video: false },
    { audio: false, video: true },
  ];
  for (const constraints of attempts) {
    try {
      call.localStream = await navigator.mediaDevices.getUserMedia(constraints);
      break;
    } catch (error) {
      call.mediaError = error;
    }
  }
  if (call.localStream) {
    call.mediaError = null;
    call.local.video.srcObject = call.localStream;
    call.local.video.play().catch(() => {});
    call.cameraOn = call.localStream.getVideoTracks().length > 0;
    call.micOn = call.localStream.getAudioTracks().length > 0;
  } else {
    call.cameraOn = false;
    call.micOn = false;
    call.local.notice.textContent = "Camera and microphone unavailable";
    call.local.notice.hidden = false;
  }
  refreshLocal(call);
  call.dispatchEvent(new CustomEvent("media", { detail: { stream: call.localStream, error: call.mediaError } }));
  if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener("devicechange", () => call.dispatchEvent(new Event("devicechange")));
  }
}

/** The local tile: video or avatar, the mic-off mark. */
export function refreshLocal(call) {
  const video = call.localStream ? call.localStream.getVideoTracks()[0] : null;
  call.local.tile.classList.toggle("no-video", !(video && call.cameraOn));
  call.local.mic.hidden = call.micOn;
}

export async function devices() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return [];
  return navigator.mediaDevices.enumerateDevices();
}

export function currentDeviceId(stream, kind) {
  const track = stream ? tracksOf(stream, kind)[0] : null;
  return track && track.getSettings ? track.getSettings().deviceId || "" : "";
}

/** Switch camera or microphone: a new track, swapped into every connection by replaceTrack. */
export async function switchDevice(call, kind, deviceId) {
  const constraints = kind === "video"
    ? { video: { deviceId: { exact: deviceId }, ...CAMERA } }
    : { audio: { deviceId: { exact: deviceId } } };
  const fresh = await navigator.mediaDevices.getUserMedia(constraints);
  const track = fresh.getTracks()[0];
  if (!call.localStream) {
    call.localStream = new MediaStream();
    call.local.video.srcObject = call.localStream;
  }
  const old = tracksOf(call.localStream, kind)[0];
  track.enabled = kind === "video" ? call.cameraOn || !old : call.micOn || !old;
  if (!old) {
    if (kind === "video") call.cameraOn = true;
    else call.micOn = true;
  }
  for (const peer of call.peers.values()) {
    const sender = peer.senders[kind];
    if (sender) {
      await sender.replaceTrack(track);
    } else {
      peer.senders[kind] = peer.pc.addTrack(track, call.localStream);
    }
  }
  if (old) {
    call.localStream.removeTrack(old);
    old.stop();
  }
  call.localStream.addTrack(track);
  call.local.video.srcObject = call.localStream;
  call.local.video.play().catch(() => {});
  refreshLocal(call);
  call.broadcastState();
}

/** Microphone ("audio") or camera ("video") on or off: the tracks stay, disabled. */
export function setEnabled(call, kind, on) {
  if (kind === "video") call.cameraOn = on;
  else call.micOn = on;
  if (call.localStream) tracksOf(call.localStream, kind).forEach((t) => { t.enabled = on; });
  refreshLocal(call);
  call.broadcastState();
}
