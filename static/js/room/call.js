// The video call: a WebRTC mesh (up to 4 participants), "perfect negotiation" between each pair
// (the polite side is decided by comparing peer ids), ICE restart when a connection fails,
// a getStats-based quality indicator, device choice, mute / camera toggles and screen sharing
// as an extra video track shown next to the camera.
//
// Signaling goes through the room socket: ``signal(to, data)`` sends {"type": "signal", to, data};
// data holds any of: description (offer/answer), candidates (a batch), streams (which stream id
// is the camera, which the screen), state (microphone/camera on), bye, full; and always sid,
// the id of the sending RTCPeerConnection. The person who arrives last makes the first offer.

export const MAX_REMOTE_PEERS = 3; // a mesh of 4 participants
const STATS_EVERY_MS = 2000;
const DISCONNECTED_GRACE_MS = 2500;
const REANNOUNCE_GRACE_MS = 8000; // after our socket came back: others re-announce by then
const ORPHAN_GRACE_MS = 20000; // someone's socket dropped: keep their call this long
const STUCK_AFTER_MS = 5000; // negotiated but ICE not connected by then: restart ICE
const MAX_STUCK_RESTARTS = 4;
const CANDIDATE_BATCH_MS = 60;
const POLITE_RESTART_DELAY_MS = 3000;
const GATHER_STALL_MS = 3000;
const INITIATE_FALLBACK_MS = 8000;

const QUALITY_TEXT = {
  good: "Good connection",
  fair: "Fair connection",
  poor: "Poor connection",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  none: "Nobody else here yet",
};

/** Grade a stats sample: packet loss, round-trip time and incoming bitrate → good/fair/poor. */
export function grade({ loss = 0, rtt = null, kbps = null, expectingVideo = false }) {
  if (loss > 0.08 || (rtt !== null && rtt > 0.5) || (expectingVideo && kbps !== null && kbps < 40)) {
    return "poor";
  }
  if (loss > 0.02 || (rtt !== null && rtt > 0.25) || (expectingVideo && kbps !== null && kbps < 150)) {
    return "fair";
  }
  return "good";
}

const LEVEL_ORDER = ["good", "fair", "connecting", "reconnecting", "poor"];

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

/**
 * Let the browser gather host candidates once before the first real connection: in Chromium the
 * first connection of a page, made right after the camera starts, now and then gathers nothing
 * at all. Resolves at the first candidate (milliseconds) or after a second.
 */
export function warmUpGathering(timeoutMs = 1000) {
  return new Promise((resolve) => {
    let probe;
    try {
      probe = new RTCPeerConnection();
    } catch {
      resolve(false);
      return;
    }
    const done = (ok) => {
      clearTimeout(timer);
      probe.onicecandidate = null;
      probe.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    probe.onicecandidate = ({ candidate }) => done(Boolean(candidate));
    probe.createDataChannel("warm-up");
    probe.setLocalDescription().catch(() => done(false));
  });
}

/** Play a remote <video>; when autoplay with sound is refused, play muted and offer a click. */
function playWithSound(parts) {
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

class Peer {
  /** ``passive``: the other side starts the negotiation; we answer their first offer. */
  constructor(call, id, user, { passive = false } = {}) {
    this.call = call;
    this.id = id;
    this.user = user;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.settingRemoteAnswer = false;
    this.passive = passive;
    this.suppressedNegotiation = false;
    this.chain = Promise.resolve();
    this.senders = { audio: null, video: null, screen: null };
    this.remoteMeta = { camera: null, screen: null };
    this.remoteState = { audio: true, video: true };
    this.cameraStream = null;
    this.screenStream = null;
    this.screenParts = null;
    this.quality = { level: "connecting" };
    this.lastSample = null;
    this.disconnectTimer = null;
    this.restarts = 0;
    this.firstFrameAt = null;
    this.closed = false;
    // Every signal of this connection carries ``sid``: a different sid from the same peer id means
    // the other side started a new connection (a reloaded page), so this one is replaced.
    this.localSid = Math.random().toString(36).slice(2, 12);
    this.remoteSid = null;
    this.needsResend = false;
    // Counters for diagnosis (window.peerlearnRoom.call.peers): signaling as it happened.
    this.log = { out: [], in: [], candidatesIn: 0, candidatesRefused: 0, candidatesOut: 0 };
    this.parts = makeTile({ name: user ? user.name : "Someone" });
    this.parts.tile.dataset.peer = id;
    if (user) this.parts.tile.dataset.user = String(user.id);
    call.tiles.append(this.parts.tile);
    for (const name of ["loadeddata", "resize", "playing", "emptied"]) {
      this.parts.video.addEventListener(name, () => this.refreshVideoState());
    }
    this.createConnection();
  }

  get polite() {
    // Both sides compare the same two ids, so exactly one of them is polite.
    return this.call.myId > this.id;
  }

  createConnection() {
    this.gathered = 0;
    // One transport for audio, video and screen: fewer candidates to gather and to signal.
    const config = { iceServers: this.call.iceServers, bundlePolicy: "max-bundle" };
    if (this.call.forceRelay) config.iceTransportPolicy = "relay";
    const pc = new RTCPeerConnection(config);
    this.pc = pc;
    pc.onnegotiationneeded = () => this.negotiate();
    // Candidates go out in small batches: fewer socket messages (the room socket is rate-limited).
    this.outgoingCandidates = [];
    this.candidateTimer = null;
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) {
        this.gathered += 1;
        this.outgoingCandidates.push(candidate.toJSON());
      }
      if (!candidate) this.flushCandidates();
      else if (!this.candidateTimer) this.candidateTimer = setTimeout(() => this.flushCandidates(), CANDIDATE_BATCH_MS);
    };
    pc.ontrack = (event) => this.onTrack(event);
    this.iceErrors = [];
    pc.onicecandidateerror = (event) => {
      // Kept for diagnosis (window.peerlearnRoom): e.g. a TURN server refusing credentials.
      this.iceErrors.push({ url: event.url, code: event.errorCode, text: event.errorText, address: event.address });
      if (this.iceErrors.length > 20) this.iceErrors.shift();
    };
    pc.onconnectionstatechange = () => this.onConnectionState();
    pc.oniceconnectionstatechange = () => this.onConnectionState();
    pc.onsignalingstatechange = () => {
      if (pc.signalingState === "stable" && pc.remoteDescription) this.watchConnecting();
      if (pc.signalingState !== "closed") this.watchGathering();
    };
    const local = this.call.localStream;
    if (local) {
      for (const track of local.getTracks()) {
        this.senders[track.kind] = pc.addTrack(track, local);
      }
    }
    // Always able to receive audio and video, even without a camera or microphone here.
    for (const kind of ["audio", "video"]) {
      if (!this.senders[kind]) pc.addTransceiver(kind, { direction: "recvonly" });
    }
    const screen = this.call.screenStream;
    if (screen) {
      this.senders.screen = pc.addTrack(screen.getVideoTracks()[0], screen);
    }
  }

  send(data) {
    return this.call.signal(this.id, { ...data, sid: this.localSid });
  }

  flushCandidates() {
    clearTimeout(this.candidateTimer);
    this.candidateTimer = null;
    if (!this.outgoingCandidates.length || this.closed) return;
    const candidates = this.outgoingCandidates;
    this.outgoingCandidates = [];
    this.log.candidatesOut += candidates.length;
    this.send({ candidates });
  }

  /** An offer that may have been lost while the socket was down: send it again. */
  resendPendingOffer() {
    if (this.pc.signalingState === "have-local-offer" && this.pc.localDescription) {
      this.send({ description: this.pc.localDescription.toJSON(), streams: this.streamsMeta() });
      return true;
    }
    return false;
  }

  streamsMeta() {
    return {
      camera: this.call.localStream ? this.call.localStream.id : null,
      screen: this.call.screenStream ? this.call.screenStream.id : null,
    };
  }

  async negotiate() {
    if (this.closed) return;
    if (this.passive) {
      this.suppressedNegotiation = true; // after their offer, see whether ours is still needed
      return;
    }
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      this.note("out", `${this.pc.localDescription.type}@${this.pc.signalingState}`);
      this.send({ description: this.pc.localDescription.toJSON(), streams: this.streamsMeta() });
    } catch (error) {
      console.warn("negotiation failed", error);
    } finally {
      this.makingOffer = false;
    }
  }

  note(direction, entry) {
    const list = this.log[direction];
    list.push(entry);
    if (list.length > 30) list.shift();
  }

  /** Signals are applied one at a time, in arrival order. */
  receive(data) {
    this.chain = this.chain.then(() => this.apply(data)).catch((error) => {
      console.warn("signal failed", error);
    });
    return this.chain;
  }

  async apply(data) {
    if (this.closed) return;
    const pc = this.pc;
    if (data.streams) this.setRemoteMeta(data.streams);
    if (data.state) {
      this.remoteState = { ...this.remoteState, ...data.state };
      this.refreshVideoState();
    }
    if (data.bye) {
      this.call.removePeer(this.id);
      return;
    }
    if (data.description) {
      const description = data.description;
      this.note("in", `${description.type}${this.makingOffer ? "*" : ""}@${pc.signalingState}`);
      const readyForOffer =
        !this.makingOffer && (pc.signalingState === "stable" || this.settingRemoteAnswer);
      const offerCollision = description.type === "offer" && !readyForOffer;
      this.ignoreOffer = !this.polite && offerCollision;
      if (this.ignoreOffer) return;
      this.settingRemoteAnswer = description.type === "answer";
      await pc.setRemoteDescription(description); // rolls back our own offer when polite
      this.settingRemoteAnswer = false;
      if (description.type === "offer") {
        await pc.setLocalDescription();
        this.send({ description: pc.localDescription.toJSON(), streams: this.streamsMeta() });
      }
      if (this.passive) {
        this.passive = false;
        // Tracks their offer had no place for (a screen being shared): offer them now.
        const unplaced = pc.getTransceivers().some((t) => !t.mid && !t.stopped);
        if (this.suppressedNegotiation && unplaced) setTimeout(() => this.negotiate(), 0);
        this.suppressedNegotiation = false;
      }
    }
    const candidates = data.candidates || (data.candidate ? [data.candidate] : []);
    for (const candidate of candidates) {
      try {
        await pc.addIceCandidate(candidate);
        this.log.candidatesIn += 1;
      } catch (error) {
        this.log.candidatesRefused += 1;
        if (!this.ignoreOffer) console.warn("ICE candidate refused", error);
      }
    }
  }

  setRemoteMeta(meta) {
    this.remoteMeta = { camera: meta.camera || null, screen: meta.screen || null };
    if (!this.remoteMeta.screen) this.removeScreen();
    // A stream first taken for a camera may turn out to be the screen (or the other way).
    if (this.cameraStream && this.cameraStream.id === this.remoteMeta.screen) {
      const stream = this.cameraStream;
      this.cameraStream = null;
      this.parts.video.srcObject = null;
      this.showScreen(stream);
    }
  }

  onTrack({ track, streams }) {
    const stream = streams && streams[0] ? streams[0] : new MediaStream([track]);
    if (stream.id === this.remoteMeta.screen) {
      this.showScreen(stream);
    } else {
      if (this.cameraStream !== stream) {
        this.cameraStream = stream;
        this.parts.video.srcObject = stream;
        stream.addEventListener("removetrack", () => this.refreshVideoState());
        stream.addEventListener("addtrack", () => this.refreshVideoState());
      }
      playWithSound(this.parts);
      this.watchFirstFrame();
    }
    track.addEventListener("unmute", () => this.refreshVideoState());
    track.addEventListener("mute", () => this.refreshVideoState());
    track.addEventListener("ended", () => this.refreshVideoState());
    this.refreshVideoState();
  }

  watchFirstFrame() {
    const video = this.parts.video;
    if (this.firstFrameAt !== null || this.watchingFrames) return;
    this.watchingFrames = true;
    const done = () => {
      if (this.firstFrameAt === null) {
        this.firstFrameAt = performance.now();
        this.call.noteFirstFrame(this);
      }
    };
    if (video.requestVideoFrameCallback) {
      video.requestVideoFrameCallback(done);
    } else {
      video.addEventListener("loadeddata", done, { once: true });
    }
  }

  showScreen(stream) {
    if (this.screenStream === stream) return;
    this.removeScreen();
    this.screenStream = stream;
    const name = this.user ? this.user.name : "Someone";
    this.screenParts = makeTile({ name, kind: "screen" });
    this.screenParts.tile.dataset.peer = this.id;
    this.screenParts.tile.classList.remove("no-video");
    this.screenParts.video.srcObject = stream;
    this.screenParts.video.muted = true;
    this.call.tiles.prepend(this.screenParts.tile);
    this.screenParts.video.play().catch(() => {});
    stream.addEventListener("removetrack", () => {
      if (!stream.getVideoTracks().length) this.removeScreen();
    });
    this.call.layout();
  }

  removeScreen() {
    if (!this.screenParts) return;
    this.screenParts.video.srcObject = null;
    this.screenParts.tile.remove();
    this.screenParts = null;
    this.screenStream = null;
    this.call.layout();
  }

  refreshVideoState() {
    const stream = this.cameraStream;
    const tracks = stream ? stream.getVideoTracks().filter((t) => t.readyState === "live") : [];
    // Frames on screen, or a track not muted (remote tracks may stay "muted" in some browsers
    // while frames arrive, so the <video> element is the better witness).
    const frames = this.parts.video.videoWidth > 0 && this.parts.video.readyState >= 2;
    const hasVideo = tracks.length > 0 && (frames || tracks.some((t) => !t.muted)) && this.remoteState.video !== false;
    this.parts.tile.classList.toggle("no-video", !hasVideo);
    this.parts.mic.hidden = this.remoteState.audio !== false;
  }

  /** A negotiated connection that never gets going (no candidates gathered, checks that never
   * start) is restarted, a few times with growing patience. */
  watchConnecting() {
    clearTimeout(this.stuckTimer);
    const attempt = this.stuckRestarts || 0;
    if (attempt >= MAX_STUCK_RESTARTS) return;
    this.stuckTimer = setTimeout(() => {
      const state = this.pc.connectionState;
      if (this.closed || state === "connected" || state === "closed") return;
      if (this.pc.signalingState !== "stable") return; // a negotiation is under way
      this.stuckRestarts = attempt + 1;
      this.call.stuckRestarts += 1;
      // A connection that gathered no candidate at all stays that way (seen in Chromium):
      // start over with a new one. Otherwise an ICE restart.
      if (this.gathered === 0) this.rebuild();
      else this.restartIce();
    }, STUCK_AFTER_MS * (attempt + 1) + this.restartDelay());
  }

  /** Candidates come within milliseconds (a far TURN server: a second or two). A connection
   * that has none after GATHER_STALL_MS is rebuilt at once rather than after STUCK_AFTER_MS. */
  watchGathering() {
    if (this.gatherTimer || this.gathered > 0) return;
    const pc = this.pc;
    this.gatherTimer = setTimeout(() => {
      this.gatherTimer = null;
      if (this.closed || pc !== this.pc || this.gathered > 0) return;
      if (pc.iceGatheringState === "gathering" && pc.signalingState === "stable") this.rebuild();
    }, GATHER_STALL_MS);
  }

  /** Replace the RTCPeerConnection (same tile, same person). The new ``sid`` tells the other
   * side to start over too; this side makes the offer. */
  rebuild() {
    if (this.closed) return;
    this.call.rebuilds += 1;
    const old = this.pc;
    for (const name of ["onnegotiationneeded", "onicecandidate", "ontrack", "onconnectionstatechange",
      "oniceconnectionstatechange", "onsignalingstatechange", "onicecandidateerror"]) {
      old[name] = null;
    }
    old.close();
    clearTimeout(this.candidateTimer);
    clearTimeout(this.disconnectTimer);
    clearTimeout(this.gatherTimer);
    this.candidateTimer = null;
    this.disconnectTimer = null;
    this.gatherTimer = null;
    this.outgoingCandidates = [];
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.settingRemoteAnswer = false;
    this.passive = false;
    this.chain = Promise.resolve();
    this.senders = { audio: null, video: null, screen: null };
    this.localSid = Math.random().toString(36).slice(2, 12);
    this.remoteSid = null;
    this.removeScreen();
    this.cameraStream = null;
    this.parts.video.srcObject = null;
    this.createConnection();
    this.send({ streams: this.streamsMeta(), state: { audio: this.call.micOn, video: this.call.cameraOn } });
  }

  onConnectionState() {
    const pc = this.pc;
    const state = pc.connectionState;
    if (state === "connected") {
      clearTimeout(this.disconnectTimer);
      clearTimeout(this.stuckTimer);
      this.disconnectTimer = null;
      this.restarts = 0;
      this.stuckRestarts = 0;
    } else if ((state === "failed" || state === "disconnected") && !this.disconnectTimer) {
      const grace = (state === "failed" ? 0 : DISCONNECTED_GRACE_MS) + this.restartDelay();
      this.disconnectTimer = setTimeout(() => {
        this.disconnectTimer = null;
        if (["failed", "disconnected"].includes(this.pc.connectionState)) this.restartIce();
      }, grace);
    }
    if (state !== "connected") {
      this.quality = { ...this.quality, level: state === "new" || state === "connecting" ? "connecting" : "reconnecting" };
    }
    this.parts.tile.dataset.connection = state;
    this.call.renderQuality();
  }

  /** Both sides notice a failure at about the same time; the impolite one restarts first, so
   * the two restarts do not collide (glare), and the polite one only if that did not help. */
  restartDelay() {
    return this.polite ? POLITE_RESTART_DELAY_MS : 0;
  }

  /** ICE restart: a new offer with fresh credentials, through perfect negotiation. */
  restartIce() {
    if (this.closed) return;
    this.restarts += 1;
    this.call.iceRestarts += 1;
    if (this.pc.restartIce) {
      this.pc.restartIce();
    } else {
      this.pc.createOffer({ iceRestart: true }).then((offer) => this.pc.setLocalDescription(offer))
        .then(() => this.send({ description: this.pc.localDescription.toJSON(), streams: this.streamsMeta() }))
        .catch(() => {});
    }
  }

  async sample() {
    if (this.closed) return;
    const report = await this.pc.getStats();
    const now = performance.now();
    let pairId = null;
    const byId = new Map();
    let bytes = 0;
    let lost = 0;
    let received = 0;
    let framesDecoded = 0;
    let audioLevel = 0;
    report.forEach((stat) => {
      byId.set(stat.id, stat);
      if (stat.type === "transport" && stat.selectedCandidatePairId) pairId = stat.selectedCandidatePairId;
      if (stat.type === "inbound-rtp") {
        bytes += stat.bytesReceived || 0;
        lost += Math.max(0, stat.packetsLost || 0);
        received += stat.packetsReceived || 0;
        if (stat.kind === "video") framesDecoded += stat.framesDecoded || 0;
        if (stat.kind === "audio" && typeof stat.audioLevel === "number") audioLevel = stat.audioLevel;
      }
    });
    let pair = pairId ? byId.get(pairId) : null;
    if (!pair) {
      report.forEach((stat) => {
        if (stat.type === "candidate-pair" && stat.nominated && stat.state === "succeeded") pair = stat;
      });
    }
    const rtt = pair && typeof pair.currentRoundTripTime === "number" ? pair.currentRoundTripTime : null;
    const local = pair ? byId.get(pair.localCandidateId) : null;
    const remote = pair ? byId.get(pair.remoteCandidateId) : null;
    const previous = this.lastSample;
    this.lastSample = { at: now, bytes, lost, received };
    let loss = 0;
    let kbps = null;
    if (previous) {
      const dLost = lost - previous.lost;
      const dReceived = received - previous.received;
      loss = dLost + dReceived > 0 ? Math.max(0, dLost) / (dLost + dReceived) : 0;
      kbps = ((bytes - previous.bytes) * 8) / Math.max(1, now - previous.at);
    }
    const expectingVideo = this.remoteState.video !== false && Boolean(this.cameraStream
      && this.cameraStream.getVideoTracks().length);
    const connected = this.pc.connectionState === "connected";
    const level = connected
      ? grade({ loss, rtt, kbps, expectingVideo })
      : this.pc.connectionState === "new" || this.pc.connectionState === "connecting"
        ? "connecting"
        : "reconnecting";
    this.quality = {
      level,
      rtt,
      loss,
      kbps,
      framesDecoded,
      bytesReceived: bytes,
      candidateType: local ? local.candidateType : null,
      remoteCandidateType: remote ? remote.candidateType : null,
    };
    this.parts.tile.classList.toggle("speaking", audioLevel > 0.04 && this.remoteState.audio !== false);
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.gatherTimer);
    clearTimeout(this.candidateTimer);
    clearTimeout(this.disconnectTimer);
    clearTimeout(this.stuckTimer);
    this.removeScreen();
    this.pc.close();
    this.parts.video.srcObject = null;
    this.parts.tile.remove();
  }
}

export class Call extends EventTarget {
  /**
   * @param {object} options
   *   signal(to, data) → bool: send a signaling message through the room socket
   *   iceServersUrl: the API endpoint with STUN/TURN servers and TURN credentials
   *   iceServers: the same, rendered into the page (no request before the first call);
   *     the endpoint is asked again once half their lifetime has passed
   *   forceRelay: use only TURN relays (iceTransportPolicy "relay")
   *   tiles: the element holding the video tiles; me: {id, name}
   */
  constructor({ signal, iceServersUrl, iceServers = null, forceRelay = false, tiles, me }) {
    super();
    this.signalOut = signal;
    this.iceServersUrl = iceServersUrl;
    this.forceRelay = forceRelay;
    this.tiles = tiles;
    this.me = me;
    this.myId = "";
    this.peers = new Map();
    this.waiting = new Map(); // peers announced before media and ICE servers were ready
    this.expected = new Map(); // peers who just arrived: their offer is on its way
    this.orphans = new Map(); // peer id → timer: peers that left, kept briefly in case they come back
    this.iceServers = iceServers ? iceServers.ice_servers : [];
    this.iceFetchedAt = iceServers ? Date.now() : 0;
    this.iceTtl = iceServers ? iceServers.ttl_seconds : 3600;
    this.localStream = null;
    this.screenStream = null;
    this.micOn = true;
    this.cameraOn = true;
    this.iceRestarts = 0;
    this.stuckRestarts = 0;
    this.rebuilds = 0;
    this.metrics = { firstRemoteFrameMs: null, readyMs: null };
    this.mediaError = null;
    this.local = makeTile({ name: `${me.name} (you)`, local: true });
    this.local.tile.dataset.peer = "me";
    this.tiles.append(this.local.tile);
    this.screenLocal = null;
    this.ready = null;
    this.readyDone = false;
    this.statsTimer = null;
    this.reannounceTimer = null;
  }

  /** Camera, microphone and ICE servers first; peers announced meanwhile wait for them. */
  start() {
    this.statsTimer = setInterval(() => this.sampleAll(), STATS_EVERY_MS);
    this.layout();
    // The camera, the ICE servers (unless the page brought them) and a first candidate
    // gathering all at once: each is on the way to the first remote frame.
    const servers = this.iceFetchedAt ? Promise.resolve() : this.fetchIceServers();
    this.ready = Promise.all([this.startMedia(), servers, warmUpGathering()])
      .then(() => {
        this.readyDone = true;
        this.metrics.readyMs = performance.now();
        const waiting = [...this.waiting];
        this.waiting.clear();
        for (const [id, user] of waiting) this.addPeer(id, user);
      });
    return this.ready;
  }

  async fetchIceServers() {
    try {
      const response = await fetch(this.iceServersUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = await response.json();
      this.iceServers = (body.ice_servers || []).map((server) => {
        const clean = { urls: server.urls };
        if (server.username) clean.username = server.username;
        if (server.credential) clean.credential = server.credential;
        return clean;
      });
      this.iceTtl = body.ttl_seconds || 3600;
      this.iceFetchedAt = Date.now();
    } catch (error) {
      console.warn("no ICE servers", error);
      this.iceServers = [];
    }
  }

  async startMedia() {
    const attempts = [
      { audio: true, video: { width: { ideal: 1280 }, height: { ideal: 720 } } },
      { audio: true, video: false },
      { audio: false, video: true },
    ];
    for (const constraints of attempts) {
      try {
        this.localStream = await navigator.mediaDevices.getUserMedia(constraints);
        break;
      } catch (error) {
        this.mediaError = error;
      }
    }
    if (this.localStream) {
      this.mediaError = null;
      this.local.video.srcObject = this.localStream;
      this.local.video.play().catch(() => {});
      this.cameraOn = this.localStream.getVideoTracks().length > 0;
      this.micOn = this.localStream.getAudioTracks().length > 0;
    } else {
      this.cameraOn = false;
      this.micOn = false;
      this.local.notice.textContent = "Camera and microphone unavailable";
      this.local.notice.hidden = false;
    }
    this.refreshLocal();
    this.dispatchEvent(new CustomEvent("media", { detail: { stream: this.localStream, error: this.mediaError } }));
    if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
      navigator.mediaDevices.addEventListener("devicechange", () => this.dispatchEvent(new Event("devicechange")));
    }
  }

  refreshLocal() {
    const video = this.localStream ? this.localStream.getVideoTracks()[0] : null;
    this.local.tile.classList.toggle("no-video", !(video && this.cameraOn));
    this.local.mic.hidden = this.micOn;
  }

  async devices() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return [];
    return navigator.mediaDevices.enumerateDevices();
  }

  currentDeviceId(kind) {
    const track = this.localStream
      ? (kind === "video" ? this.localStream.getVideoTracks() : this.localStream.getAudioTracks())[0]
      : null;
    return track && track.getSettings ? track.getSettings().deviceId || "" : "";
  }

  /** Switch camera or microphone: a new track, swapped into every connection by replaceTrack. */
  async switchDevice(kind, deviceId) {
    const constraints = kind === "video"
      ? { video: { deviceId: { exact: deviceId }, width: { ideal: 1280 }, height: { ideal: 720 } } }
      : { audio: { deviceId: { exact: deviceId } } };
    const fresh = await navigator.mediaDevices.getUserMedia(constraints);
    const track = fresh.getTracks()[0];
    if (!this.localStream) {
      this.localStream = new MediaStream();
      this.local.video.srcObject = this.localStream;
    }
    const old = (kind === "video" ? this.localStream.getVideoTracks() : this.localStream.getAudioTracks())[0];
    track.enabled = kind === "video" ? this.cameraOn || !old : this.micOn || !old;
    if (!old) {
      if (kind === "video") this.cameraOn = true;
      else this.micOn = true;
    }
    for (const peer of this.peers.values()) {
      const sender = peer.senders[kind];
      if (sender) {
        await sender.replaceTrack(track);
      } else {
        peer.senders[kind] = peer.pc.addTrack(track, this.localStream);
      }
    }
    if (old) {
      this.localStream.removeTrack(old);
      old.stop();
    }
    this.localStream.addTrack(track);
    this.local.video.srcObject = this.localStream;
    this.local.video.play().catch(() => {});
    this.refreshLocal();
    this.broadcastState();
  }

  setMic(on) {
    this.micOn = on;
    if (this.localStream) this.localStream.getAudioTracks().forEach((t) => { t.enabled = on; });
    this.refreshLocal();
    this.broadcastState();
  }

  setCamera(on) {
    this.cameraOn = on;
    if (this.localStream) this.localStream.getVideoTracks().forEach((t) => { t.enabled = on; });
    this.refreshLocal();
    this.broadcastState();
  }

  broadcastState() {
    for (const peer of this.peers.values()) peer.send({ state: { audio: this.micOn, video: this.cameraOn } });
  }

  /** Share the screen: one more video track to every peer, shown next to the camera. */
  async startShare() {
    if (this.screenStream) return this.screenStream;
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
    const track = stream.getVideoTracks()[0];
    if ("contentHint" in track) track.contentHint = "detail";
    this.screenStream = stream;
    track.addEventListener("ended", () => this.stopShare());
    this.screenLocal = makeTile({ name: "You", kind: "screen", local: true });
    this.screenLocal.tile.classList.remove("no-video");
    this.screenLocal.tile.dataset.peer = "me";
    this.screenLocal.label.textContent = "Your screen";
    this.screenLocal.video.srcObject = stream;
    this.tiles.prepend(this.screenLocal.tile);
    this.screenLocal.video.play().catch(() => {});
    for (const peer of this.peers.values()) {
      peer.send({ streams: peer.streamsMeta() });
      peer.senders.screen = peer.pc.addTrack(track, stream);
    }
    this.layout();
    this.dispatchEvent(new CustomEvent("share", { detail: { sharing: true } }));
    return stream;
  }

  stopShare() {
    const stream = this.screenStream;
    if (!stream) return;
    this.screenStream = null;
    stream.getTracks().forEach((t) => t.stop());
    for (const peer of this.peers.values()) {
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
    if (this.screenLocal) {
      this.screenLocal.video.srcObject = null;
      this.screenLocal.tile.remove();
      this.screenLocal = null;
    }
    this.layout();
    this.dispatchEvent(new CustomEvent("share", { detail: { sharing: false } }));
  }

  // --- membership -----------------------------------------------------------------------------

  /** Our own peer id (the socket's channel name). Changes when the socket reconnects. */
  setMyId(id) {
    const reconnected = Boolean(this.myId) && this.myId !== id;
    this.myId = id;
    if (reconnected) {
      // The others keep their ids and re-announce themselves; close whoever does not.
      for (const peer of this.peers.values()) peer.reannounced = false;
      clearTimeout(this.reannounceTimer);
      this.reannounceTimer = setTimeout(() => {
        for (const peer of [...this.peers.values()]) {
          if (!peer.reannounced) this.removePeer(peer.id);
        }
      }, REANNOUNCE_GRACE_MS);
    }
  }

  /** The socket is back: connections that suffered meanwhile get an ICE restart. */
  socketRestored() {
    for (const peer of this.peers.values()) {
      if (peer.resendPendingOffer()) continue;
      if (peer.pc.connectionState !== "connected" && peer.pc.connectionState !== "new") peer.restartIce();
    }
  }

  /**
   * Someone is in the room. ``existing``: they were there before us (we start the call with
   * them); otherwise they just arrived and start it with us: we wait for their offer, so that
   * the first negotiation never collides (both offering at once can leave Chromium without
   * ICE candidates after the rollback).
   */
  peerJoined(id, user, { existing = true, fromSignal = false } = {}) {
    const known = this.peers.get(id);
    if (known) {
      known.reannounced = true;
      return known;
    }
    // The same person back on a new socket: keep the media connection, give it the new id.
    const orphan = [...this.peers.values()].find((p) => p.orphaned && p.user && user && p.user.id === user.id);
    if (orphan) {
      clearTimeout(this.orphans.get(orphan.id));
      this.orphans.delete(orphan.id);
      this.peers.delete(orphan.id);
      orphan.id = id;
      orphan.orphaned = false;
      orphan.parts.tile.dataset.peer = id;
      orphan.parts.tile.classList.remove("left");
      this.peers.set(id, orphan);
      // Say nothing yet: the first signal tells whether it is the same connection (a socket that
      // came back) or a new one (a reloaded page); an offer lost meanwhile is sent again then.
      orphan.needsResend = true;
      return orphan;
    }
    if (!existing && !fromSignal) {
      this.expected.set(id, user);
      // Should their offer never come (an older page, a failure there), start it ourselves.
      setTimeout(() => {
        if (this.expected.has(id) && !this.peers.has(id)) {
          this.expected.delete(id);
          this.addPeer(id, user);
        }
      }, INITIATE_FALLBACK_MS);
      return null;
    }
    this.expected.delete(id);
    // Created for their first signal: they are the ones offering.
    return this.addPeer(id, user, { passive: fromSignal });
  }

  addPeer(id, user, { passive = false } = {}) {
    if (this.peers.has(id)) return this.peers.get(id);
    if (!this.readyDone) {
      // Media and ICE servers first: remember the peer until then.
      this.waiting.set(id, user);
      return null;
    }
    const active = [...this.peers.values()].filter((p) => !p.orphaned).length;
    if (active >= MAX_REMOTE_PEERS) {
      this.signal(id, { full: true });
      this.dispatchEvent(new CustomEvent("full", { detail: { user } }));
      return null;
    }
    if (Date.now() - this.iceFetchedAt > (this.iceTtl * 1000) / 2) this.fetchIceServers();
    const peer = new Peer(this, id, user, { passive });
    if (passive) {
      // Their offer should follow their first signal at once; if it does not, offer ourselves.
      setTimeout(() => {
        if (peer.passive && !peer.closed) {
          peer.passive = false;
          peer.negotiate();
        }
      }, INITIATE_FALLBACK_MS);
    }
    peer.reannounced = true;
    this.peers.set(id, peer);
    peer.send({ streams: peer.streamsMeta(), state: { audio: this.micOn, video: this.cameraOn } });
    this.layout();
    this.renderQuality();
    return peer;
  }

  peerLeft(id) {
    this.waiting.delete(id);
    this.expected.delete(id);
    const peer = this.peers.get(id);
    if (!peer) return;
    // Give them a few seconds to come back on a new socket before tearing the call down.
    peer.orphaned = true;
    peer.parts.tile.classList.add("left");
    this.orphans.set(id, setTimeout(() => {
      this.orphans.delete(id);
      if (peer.orphaned) this.removePeer(peer.id);
    }, ORPHAN_GRACE_MS));
  }

  removePeer(id) {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.peers.delete(id);
    peer.close();
    this.layout();
    this.renderQuality();
  }

  removeScreensOf(userId) {
    for (const peer of this.peers.values()) {
      if (peer.user && peer.user.id === userId) peer.removeScreen();
    }
  }

  /** A signaling message from another participant. */
  handleSignal(from, fromUser, data) {
    if (!data || typeof data !== "object") return;
    let peer = this.peers.get(from);
    if (data.full) {
      if (peer) this.removePeer(from);
      this.dispatchEvent(new CustomEvent("full", { detail: { user: { id: fromUser } } }));
      return;
    }
    if (!peer) {
      if (!this.readyDone) {
        // Keep it for when we are ready (the announced peers are added first).
        if (this.ready) this.ready.then(() => this.handleSignal(from, fromUser, data));
        return;
      }
      const user = this.expected.get(from) || { id: fromUser, name: this.nameOf(fromUser) };
      peer = this.peerJoined(from, user, { fromSignal: true });
      if (!peer) return;
    }
    if (data.sid) {
      if (peer.remoteSid && peer.remoteSid !== data.sid) {
        // The other side started over (a reloaded page): start over too.
        const user = peer.user;
        this.removePeer(from);
        peer = this.addPeer(from, user, { passive: true });
        if (!peer) return;
      }
      peer.remoteSid = data.sid;
      if (peer.needsResend) {
        peer.needsResend = false;
        if (!data.description) peer.resendPendingOffer();
      }
    }
    peer.receive(data);
  }

  nameOf(userId) {
    for (const peer of this.peers.values()) if (peer.user && peer.user.id === userId) return peer.user.name;
    return "Participant";
  }

  signal(to, data) {
    return this.signalOut(to, data);
  }

  noteFirstFrame(peer) {
    if (this.metrics.firstRemoteFrameMs === null) {
      this.metrics.firstRemoteFrameMs = peer.firstFrameAt;
      this.dispatchEvent(new CustomEvent("firstframe", { detail: { peer: peer.id, at: peer.firstFrameAt } }));
    }
  }

  // --- quality ----------------------------------------------------------------------------------

  async sampleAll() {
    await Promise.all([...this.peers.values()].map((p) => p.sample().catch(() => {})));
    this.renderQuality();
  }

  overallQuality() {
    const peers = [...this.peers.values()].filter((p) => !p.orphaned);
    if (!peers.length) return "none";
    let worst = "good";
    for (const peer of peers) {
      if (LEVEL_ORDER.indexOf(peer.quality.level) > LEVEL_ORDER.indexOf(worst)) worst = peer.quality.level;
    }
    return worst;
  }

  renderQuality() {
    for (const peer of this.peers.values()) {
      const q = peer.quality;
      peer.parts.quality.dataset.level = q.level;
      const details = [QUALITY_TEXT[q.level] || q.level];
      if (typeof q.rtt === "number") details.push(`RTT ${Math.round(q.rtt * 1000)} ms`);
      if (typeof q.loss === "number" && q.level !== "connecting") details.push(`loss ${(q.loss * 100).toFixed(1)}%`);
      if (typeof q.kbps === "number") details.push(`${Math.round(q.kbps)} kbit/s`);
      if (q.candidateType) details.push(`via ${q.candidateType === "relay" ? "TURN relay" : q.candidateType}`);
      peer.parts.quality.title = details.join(" · ");
      peer.parts.quality.setAttribute("aria-label", details.join(", "));
    }
    const level = this.overallQuality();
    const active = [...this.peers.values()].filter((p) => !p.orphaned);
    const relayed = active.length > 0 && active.every((p) => p.quality.candidateType === "relay");
    let text = QUALITY_TEXT[level] || level;
    if (relayed && ["good", "fair", "poor"].includes(level)) text += " · relayed";
    this.dispatchEvent(new CustomEvent("quality", { detail: { level, text, relayed } }));
  }

  /** Tile count drives the grid's columns; a shared screen takes the stage. */
  layout() {
    const tiles = this.tiles.querySelectorAll(".tile").length;
    const screens = this.tiles.querySelectorAll(".tile-screen").length;
    this.tiles.dataset.count = String(Math.min(tiles, 6));
    this.tiles.classList.toggle("has-screen", screens > 0);
  }

  hangUp() {
    clearInterval(this.statsTimer);
    for (const id of [...this.peers.keys()]) {
      const peer = this.peers.get(id);
      peer.send({ bye: true });
      this.removePeer(id);
    }
    this.stopShare();
    if (this.localStream) this.localStream.getTracks().forEach((t) => t.stop());
  }
}
