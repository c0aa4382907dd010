// ICE servers: fetching STUN/TURN servers (with TURN credentials) from the API, and warming up
// candidate gathering before the first real connection.

/** The API's ICE servers, cleaned to what RTCPeerConnection takes: {iceServers, ttl}.
 * Throws when the request fails. */
export async function fetchIceServers(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const body = await response.json();
  const iceServers = (body.ice_servers || []).map((server) => {
    const clean = { urls: server.urls };
    if (server.username) clean.username = server.username;
    if (server.credential) clean.credential = server.credential;
    return clean;
  });
  return { iceServers, ttl: body.ttl_seconds || 3600 };
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
