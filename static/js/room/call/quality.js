// Connection quality: a getStats report read into a sample, packet loss and bitrate between two
// samples, a grade (good/fair/poor), and the quality marks on the tiles and in the call's status.

export const STATS_EVERY_MS = 2000;

const QUALITY_TEXT = {
  good: "Good connection",
  fair: "Fair connection",
  poor: "Poor connection",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  none: "Nobody else here yet",
};

const LEVEL_ORDER = ["good", "fair", "connecting", "reconnecting", "poor"];

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

/** The level of a connection that is not (yet, or any more) connected. */
export function unconnectedLevel(connectionState) {
  return connectionState === "new" || connectionState === "connecting" ? "connecting" : "reconnecting";
}

/** What an RTCStatsReport says about the incoming media: byte and packet totals, frames decoded,
 * the audio level, and the selected candidate pair's round-trip time and candidate types. */
export function readStats(report) {
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
  return {
    bytes,
    lost,
    received,
    framesDecoded,
    audioLevel,
    rtt,
    candidateType: local ? local.candidateType : null,
    remoteCandidateType: remote ? remote.candidateType : null,
  };
}

/** Packet loss (a ratio) and incoming kbit/s between two samples {at, bytes, lost, received};
 * no loss and no bitrate without a previous sample. */
export function rates(previous, current) {
  let loss = 0;
  let kbps = null;
  if (previous) {
    const dLost = current.lost - previous.lost;
    const dReceived = current.received - previous.received;
    loss = dLost + dReceived > 0 ? Math.max(0, dLost) / (dLost + dReceived) : 0;
    kbps = ((current.bytes - previous.bytes) * 8) / Math.max(1, current.at - previous.at);
  }
  return { loss, kbps };
}

/** The worst level among the peers present ("none" when nobody is). */
export function overallQuality(peers) {
  const present = peers.filter((p) => !p.orphaned);
  if (!present.length) return "none";
  let worst = "good";
  for (const peer of present) {
    if (LEVEL_ORDER.indexOf(peer.quality.level) > LEVEL_ORDER.indexOf(worst)) worst = peer.quality.level;
  }
  return worst;
}

/** Each peer's quality dot (level, and the numbers as its title), and the call's status:
 * {level, text, relayed}. */
export function renderQuality(peers) {
  for (const peer of peers) {
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
  const level = overallQuality(peers);
  const active = peers.filter((p) => !p.orphaned);
  const relayed = active.length > 0 && active.every((p) => p.quality.candidateType === "relay");
  let text = QUALITY_TEXT[level] || level;
  if (relayed && ["good", "fair", "poor"].includes(level)) text += " · relayed";
  return { level, text, relayed };
}
