// The video call: a WebRTC mesh (up to 4 participants), "perfect negotiation" between each pair
// (the polite side is decided by comparing peer ids), ICE restart when a connection fails,
// a getStats-based quality indicator, device choice, mute / camera toggles and screen sharing
// as an extra video track shown next to the camera.
//
// Signaling goes through the room socket: ``signal(to, data)`` sends {"type": "signal", to, data};
// data holds any of: description (offer/answer), candidates (a batch), streams (which stream id
// is the camera, which the screen), state (microphone/camera on), bye, full; and always sid,
// the id of the sending RTCPeerConnection. The person who arrives last makes the first offer.
//
// This module keeps the mesh: who is in the call, a connection per other participant (peer.js),
// signals routed to them, and the call's status. The other jobs have modules of their own:
// local camera and microphone (media.js), screen sharing (share.js), video tiles (tiles.js),
// ICE servers (ice.js), connection quality (quality.js).

import { fetchIceServers, warmUpGathering } from "./call/ice.js";
import { currentDeviceId, devices, refreshLocal, setEnabled, startMedia, switchDevice } from "./call/media.js";
import { Peer } from "./call/peer.js";
import { overallQuality, renderQuality, STATS_EVERY_MS } from "./call/quality.js";
import { startShare, stopShare } from "./call/share.js";
import { layoutTiles, makeTile } from "./call/tiles.js";

export { grade } from "./call/quality.js";
export { makeTile, warmUpGathering };

export const MAX_REMOTE_PEERS = 3; // a mesh of 4 participants
const REANNOUNCE_GRACE_MS = 8000; // after our socket came back: others re-announce by then
const ORPHAN_GRACE_MS = 20000; // someone's socket dropped: keep their call this long
const INITIATE_FALLBACK_MS = 8000;

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
      const { iceServers, ttl } = await fetchIceServers(this.iceServersUrl);
      this.iceServers = iceServers;
      this.iceTtl = ttl;
      this.iceFetchedAt = Date.now();
    } catch (error) {
      console.warn("no ICE servers", error);
      this.iceServers = [];
    }
  }

  // --- local media and screen sharing (media.js, share.js) ---------------------------------------

  startMedia() {
    return startMedia(this);
  }

  refreshLocal() {
    refreshLocal(this);
  }

  devices() {
    return devices();
  }

  currentDeviceId(kind) {
    return currentDeviceId(this.localStream, kind);
  }

  switchDevice(kind, deviceId) {
    return switchDevice(this, kind, deviceId);
  }

  setMic(on) {
    setEnabled(this, "audio", on);
  }

  setCamera(on) {
    setEnabled(this, "video", on);
  }

  broadcastState() {
    for (const peer of this.peers.values()) peer.send({ state: { audio: this.micOn, video: this.cameraOn } });
  }

  /** Share the screen: one more video track to every peer, shown next to the camera. */
  startShare() {
    return startShare(this);
  }

  stopShare() {
    stopShare(this);
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
    return overallQuality([...this.peers.values()]);
  }

  renderQuality() {
    const detail = renderQuality([...this.peers.values()]);
    this.dispatchEvent(new CustomEvent("quality", { detail }));
  }

  layout() {
    layoutTiles(this.tiles);
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
