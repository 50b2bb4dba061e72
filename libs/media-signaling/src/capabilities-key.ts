/**
 * A short key of a router's RTP capabilities (FNV-1a over their JSON, twice with different seeds):
 * a client keeps the capabilities of its last join and sends their key with the next one, so the
 * node can tell whether the device the client loaded from them fits its routers. Server and client
 * compute it over the same JSON (the object as the node sends it, key order kept).
 */
export function rtpCapabilitiesKey(caps: unknown): string {
  const s = JSON.stringify(caps) ?? '';
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0).toString(36) + (b >>> 0).toString(36);
}
