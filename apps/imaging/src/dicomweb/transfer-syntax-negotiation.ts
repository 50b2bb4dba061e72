import { SUPPORTED_TRANSFER_SYNTAXES, TS, frameMediaType, isEncapsulated } from '@huizhen/dicom';

/** One media range of an Accept header: its type and parameters (lower-case names), by preference. */
export interface MediaRange {
  type: string;
  params: Record<string, string>;
  q: number;
}

/** Splits on `sep` outside double quotes (a quoted parameter may hold the separator). */
function splitOutsideQuotes(text: string, sep: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === sep && !quoted) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** The media ranges of an Accept header (RFC 9110 12.5.1), most preferred first, ties in the order written. */
export function mediaRanges(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of splitOutsideQuotes(accept, ',')) {
    const [type, ...rest] = splitOutsideQuotes(part, ';').map((s) => s.trim());
    if (!type) continue;
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0)
        params[p.slice(0, eq).trim().toLowerCase()] = p
          .slice(eq + 1)
          .trim()
          .replace(/^"|"$/g, '');
    }
    const q = params.q === undefined ? 1 : Number(params.q);
    ranges.push({ type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 });
  }
  return ranges.filter((r) => r.q > 0).sort((a, b) => b.q - a.q);
}

/** What a WADO-RS part is sent as: its media type, its transfer syntax, and whether the stored pixels are decoded for it. */
export interface Offer {
  mediaType: string;
  transferSyntax: string;
  decode: boolean;
  /** An implicit VR little endian instance re-headed as explicit VR, values byte for byte. */
  rewrite?: boolean;
}

/**
 * Transfer syntaxes whose pixel data the archive can decode: every compressed one it accepts
 * (it renders them all, with the decoders pixel-decoder.ts uses).
 */
export const DECODABLE = new Set<string>(SUPPORTED_TRANSFER_SYNTAXES.filter(isEncapsulated));

/**
 * The ways frames of an instance stored in `stored` can be sent, in order of preference: as
 * stored (native frames are always explicit VR little endian bytes, big endian swapped), then
 * decoded to explicit VR little endian where a decoder exists. `legacy` is the octet-stream
 * answer without a transfer-syntax parameter, which has always been the stored bytes.
 */
function frameOffers(stored: string): { offers: Offer[]; legacy: Offer } {
  if (!isEncapsulated(stored)) {
    const native = {
      mediaType: 'application/octet-stream',
      transferSyntax: TS.explicitLittle,
      decode: false,
    };
    return { offers: [native], legacy: native };
  }
  const asStored = { mediaType: frameMediaType(stored), transferSyntax: stored, decode: false };
  const offers: Offer[] = [asStored];
  if (DECODABLE.has(stored))
    offers.push({
      mediaType: 'application/octet-stream',
      transferSyntax: TS.explicitLittle,
      decode: true,
    });
  return { offers, legacy: { ...asStored, mediaType: 'application/octet-stream' } };
}

/**
 * The offers of an instance retrieved whole (application/dicom): as stored, or in explicit VR
 * little endian (decoded from a compressed syntax, or re-headed from implicit VR).
 */
function instanceOffers(stored: string): Offer[] {
  const offers: Offer[] = [
    { mediaType: 'application/dicom', transferSyntax: stored, decode: false },
  ];
  if (DECODABLE.has(stored))
    offers.push({
      mediaType: 'application/dicom',
      transferSyntax: TS.explicitLittle,
      decode: true,
    });
  if (stored === TS.implicitLittle)
    offers.push({
      mediaType: 'application/dicom',
      transferSyntax: TS.explicitLittle,
      decode: false,
      rewrite: true,
    });
  return offers;
}

/** A media range's wanted part type: multipart/related names it in `type` (octet-stream or dicom by default). */
function partType(range: MediaRange, fallback: string): string {
  if (range.type === 'multipart/related') return (range.params.type ?? fallback).toLowerCase();
  if (range.type === 'multipart/*') return '*/*';
  return range.type;
}

function typeMatches(wanted: string, offered: string): boolean {
  if (wanted === '*/*' || wanted === offered) return true;
  return wanted.endsWith('/*') && offered.startsWith(wanted.slice(0, -1));
}

export type Negotiated = { offer: Offer } | { refused: string };

function describe(offers: Offer[]): string {
  return offers.map((o) => `${o.mediaType}; transfer-syntax=${o.transferSyntax}`).join(', ');
}

/** The first acceptable way to send frames of an instance stored in `stored`, or why there is none (406). */
export function negotiateFrames(accept: string, stored: string): Negotiated {
  const { offers, legacy } = frameOffers(stored);
  const ranges = mediaRanges(accept || 'multipart/related; type="application/octet-stream"');
  for (const r of ranges) {
    const wanted = partType(r, 'application/octet-stream');
    const ts = r.params['transfer-syntax'];
    // Octet-stream (or anything) in any syntax has always been the stored bytes: viewers ask so.
    if (
      (ts === undefined || ts === '*') &&
      (wanted === 'application/octet-stream' || wanted === '*/*')
    )
      return { offer: legacy };
    const hit = offers.find(
      (o) =>
        typeMatches(wanted, o.mediaType) &&
        (ts === undefined || ts === '*' || ts === o.transferSyntax),
    );
    if (hit) return { offer: hit };
  }
  return {
    refused: `frames of this instance (stored as ${stored}) can be sent as ${describe(offers)}; not as ${accept}`,
  };
}

/**
 * The way to send each instance retrieved whole, or why one of them cannot be sent as asked
 * (406, decided before any byte goes out). Without a transfer-syntax parameter an instance goes
 * as stored; PS3.18's default of explicit VR little endian is not applied, as before.
 */
export function negotiateInstances(
  accept: string,
  stored: string[],
): { offers: Offer[] } | { refused: string } {
  const ranges = mediaRanges(accept || 'multipart/related; type="application/dicom"');
  const chosen: Offer[] = [];
  for (const ts of new Set(stored)) {
    const offers = instanceOffers(ts);
    let hit: Offer | undefined;
    for (const r of ranges) {
      const wanted = partType(r, 'application/dicom');
      const want = r.params['transfer-syntax'];
      hit = offers.find(
        (o) =>
          typeMatches(wanted, o.mediaType) &&
          (want === undefined || want === '*' || want === o.transferSyntax),
      );
      if (hit) break;
    }
    if (!hit)
      return {
        refused: `instances stored as ${ts} can be sent as ${describe(offers)}; not as ${accept}`,
      };
    chosen.push(hit);
  }
  const byStored = new Map([...new Set(stored)].map((ts, i) => [ts, chosen[i]]));
  return { offers: stored.map((ts) => byStored.get(ts)!) };
}
