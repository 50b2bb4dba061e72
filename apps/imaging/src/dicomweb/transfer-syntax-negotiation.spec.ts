import { describe, expect, it } from '@jest/globals';
import { TS } from '@huizhen/dicom';
import { jpegStoresRgb } from './pixel-decoder';
import { mediaRanges, negotiateFrames, negotiateInstances } from './transfer-syntax-negotiation';

const OCTETS = 'application/octet-stream';

describe('WADO-RS media type and transfer syntax negotiation', () => {
  it('reads Accept as media ranges: preference order, quoted parameters, q=0 left out', () => {
    expect(
      mediaRanges(
        'image/png;q=0.2, multipart/related; type="application/octet-stream"; transfer-syntax="1.2.840.10008.1.2.1", */*;q=0',
      ),
    ).toEqual([
      {
        type: 'multipart/related',
        params: { type: 'application/octet-stream', 'transfer-syntax': TS.explicitLittle },
        q: 1,
      },
      { type: 'image/png', params: { q: '0.2' }, q: 0.2 },
    ]);
    // A comma inside quotes does not split the range.
    expect(mediaRanges('multipart/related; type="a,b"')).toHaveLength(1);
  });

  it('sends frames as stored unless a syntax is named, decodes for explicit VR little endian, refuses image/png', () => {
    const j2k = TS.j2kLossless;
    const offer = (accept: string) => {
      const n = negotiateFrames(accept, j2k);
      return 'offer' in n ? n.offer : n.refused;
    };
    // Viewers: octet-stream in any syntax is the stored bytes, labelled with their syntax.
    expect(offer('')).toEqual({ mediaType: OCTETS, transferSyntax: j2k, decode: false });
    expect(offer(`multipart/related; type="${OCTETS}"; transfer-syntax=*`)).toEqual({
      mediaType: OCTETS,
      transferSyntax: j2k,
      decode: false,
    });
    expect(offer('multipart/related; type="image/jp2"')).toEqual({
      mediaType: 'image/jp2',
      transferSyntax: j2k,
      decode: false,
    });
    expect(
      offer(`multipart/related; type="${OCTETS}"; transfer-syntax=${TS.explicitLittle}`),
    ).toEqual({
      mediaType: OCTETS,
      transferSyntax: TS.explicitLittle,
      decode: true,
    });
    expect(offer('image/png')).toMatch(
      /can be sent as image\/jp2; transfer-syntax=.*; not as image\/png/,
    );
    // The second range is taken when the first cannot be met.
    expect(offer(`image/png, multipart/related; type="${OCTETS}"`)).toMatchObject({
      decode: false,
    });
    // Deflate has no decoder here: its frames are only what they are.
    const deflated = negotiateFrames(
      `multipart/related; type="${OCTETS}"; transfer-syntax=${TS.jpegBaseline}`,
      TS.deflated,
    );
    expect(deflated).toEqual({ refused: expect.stringContaining('not as multipart/related') });
  });

  it('decides every instance of a retrieve before it starts, in the order of the rows', () => {
    const explicit = `multipart/related; type="application/dicom"; transfer-syntax=${TS.explicitLittle}`;
    const n = negotiateInstances(explicit, [TS.rle, TS.explicitLittle, TS.implicitLittle, TS.rle]);
    expect('offers' in n && n.offers.map((o) => [o.decode, !!o.rewrite])).toEqual([
      [true, false],
      [false, false],
      [false, true],
      [true, false],
    ]);
    expect(negotiateInstances(explicit, [TS.rle, TS.explicitBig])).toEqual({
      refused: expect.stringContaining(`instances stored as ${TS.explicitBig}`),
    });
    expect(negotiateInstances('application/dicom+json', [TS.rle])).toHaveProperty('refused');
  });
});

describe('RGB JPEG without colour transform', () => {
  /** A JPEG header: SOI, the given marker segments, then SOF0 with three components, then SOS. */
  const jpeg = (segments: Buffer[], ids = [1, 2, 3]) =>
    Buffer.concat([
      Buffer.from([0xff, 0xd8]),
      ...segments,
      Buffer.from([0xff, 0xc0, 0x00, 0x11, 8, 0, 1, 0, 1, 3]),
      Buffer.from(ids.flatMap((id) => [id, 0x11, 0])),
      Buffer.from([0xff, 0xda, 0x00, 0x02]),
    ]);
  const app14 = (transform: number) =>
    Buffer.concat([
      Buffer.from([0xff, 0xee, 0x00, 0x0e]),
      Buffer.from('Adobe'),
      Buffer.from([0, 100, 0, 0, 0, 0, transform]),
    ]);
  const jfif = Buffer.concat([
    Buffer.from([0xff, 0xe0, 0x00, 0x10]),
    Buffer.from('JFIF\0'),
    Buffer.alloc(9),
  ]);

  it('follows Adobe APP14, then JFIF, then R/G/B component ids, then the Photometric Interpretation', () => {
    expect(jpegStoresRgb(jpeg([app14(0)]), 'YBR_FULL_422')).toBe(true);
    expect(jpegStoresRgb(jpeg([app14(1)]), 'RGB')).toBe(false);
    expect(jpegStoresRgb(jpeg([jfif]), 'RGB')).toBe(false);
    expect(jpegStoresRgb(jpeg([], [0x52, 0x47, 0x42]), 'YBR_FULL_422')).toBe(true);
    // pydicom's SC_jpeg_no_color_transform.dcm: no marker, ids 0,1,2, Photometric RGB.
    expect(jpegStoresRgb(jpeg([], [0, 1, 2]), 'RGB')).toBe(true);
    expect(jpegStoresRgb(jpeg([], [1, 2, 3]), 'YBR_FULL_422')).toBe(false);
  });
});
