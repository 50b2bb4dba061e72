/**
 * What a peer's address may be. An AE title (PS3.5 6.2, AE VR): 1-16 characters of the default
 * character repertoire (ISO 646: printable ASCII), no backslash (the value delimiter), no
 * control characters; leading and trailing spaces are not significant, so it is kept trimmed and
 * must hold more than spaces.
 */
export const AE_TITLE = /^[\x20-\x5B\x5D-\x7E]{1,16}$/;

export function isAeTitle(value: string): boolean {
  return AE_TITLE.test(value) && value.trim().length > 0 && value === value.trim();
}

/** A DNS name (RFC 1123 labels) or an IPv4 / IPv6 literal, as a peer's host. */
export function isHost(value: string): boolean {
  if (value.length < 1 || value.length > 253) return false;
  if (/^(\d{1,3})(\.\d{1,3}){3}$/.test(value))
    return value.split('.').every((o) => Number(o) <= 255);
  if (value.includes(':')) return /^[0-9A-Fa-f:.]+$/.test(value) && value.split(':').length <= 8;
  return value
    .split('.')
    .every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

/** An http(s) base URL without credentials, query or fragment (a DICOMweb service root). */
export function isDicomwebBaseUrl(value: string): boolean {
  if (value.length > 2000 || /\s/.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    !url.username &&
    !url.password &&
    !url.search &&
    !url.hash &&
    !value.includes('@')
  );
}

/** The name of a secret held outside the database (an environment variable), never the secret. */
export const CREDENTIALS_REF = /^[A-Z][A-Z0-9_]{0,63}$/;
