// One participant's connection in the call's mesh: an RTCPeerConnection negotiated with "perfect
// negotiation" (the polite side is decided by comparing peer ids), candidates batched, signals
// applied in arrival order, the remote camera and screen shown in tiles, and recovery: ICE
// restart when the connection fails, a new connection when one never gets going.

import { grade, rates, readStats, unconnectedLevel } from "./quality.js";
import { makeTile, playWithSound } from "./tiles.js";

const DISCONNECTED_GRACE_MS = 2500;
const STUCK_AFTER_MS = 5000; // negotiated but ICE not connected by then: restart ICE
const MAX_STUCK_RESTARTS = 4;
const CANDIDATE_BATCH_MS = 60;
const POLITE_RESTART_DELAY_MS = 3000;
const GATHER_STALL_MS = 3000;

export class Peer {
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
      this.quality = { ...this.quality, level: unconnectedLevel(state) };
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
    const stats = readStats(report);
    const previous = this.lastSample;
    this.lastSample = { at: now, bytes: stats.bytes, lost: stats.lost, received: stats.received };
    const { loss, kbps } = rates(previous, this.lastSample);
    const expectingVideo = this.remoteState.video !== false && Boolean(this.cameraStream
      && this.cameraStream.getVideoTracks().length);
    const connected = this.pc.connectionState === "connected";
    const level = connected
      ? grade({ loss, rtt: stats.rtt, kbps, expectingVideo })
      : unconnectedLevel(this.pc.connectionState);
    this.quality = {
      level,
      rtt: stats.rtt,
      loss,
      kbps,
      framesDecoded: stats.framesDecoded,
      bytesReceived: stats.bytes,
      candidateType: stats.candidateType,
      remoteCandidateType: stats.remoteCandidateType,
    };
    this.parts.tile.classList.toggle("speaking", stats.audioLevel > 0.04 && this.remoteState.audio !== false);
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
