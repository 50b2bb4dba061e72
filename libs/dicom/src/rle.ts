/**
 * RLE Lossless (PS3.5 Annex G) to native little-endian, sample-interleaved pixels. dcmjs-imaging
 * renders colour RLE with the planes mixed up; decoding here keeps every renderer on one path.
 */
export function decodeRleFrame(
  frame: Uint8Array,
  rows: number,
  columns: number,
  samplesPerPixel: number,
  bitsAllocated: number,
): Uint8Array {
  const bytesPerSample = bitsAllocated / 8;
  const pixels = rows * columns;
  const out = new Uint8Array(pixels * samplesPerPixel * bytesPerSample);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== samplesPerPixel * bytesPerSample)
    throw new Error(
      `RLE frame has ${segments} segments, expected ${samplesPerPixel * bytesPerSample}`,
    );
  for (let seg = 0; seg < segments; seg++) {
    const start = view.getUint32(4 + seg * 4, true);
    const end = seg + 1 < segments ? view.getUint32(8 + seg * 4, true) : frame.length;
    const sample = Math.floor(seg / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (seg % bytesPerSample); // segments go most significant byte first
    const stride = samplesPerPixel * bytesPerSample;
    let o = sample * bytesPerSample + byteInSample;
    let written = 0;
    let i = start;
    while (i < end && written < pixels) {
      const n = (frame[i++] << 24) >> 24;
      if (n >= 0) {
        for (let k = 0; k <= n && written < pixels; k++, written++, o += stride)
          out[o] = frame[i++];
      } else if (n !== -128) {
        const v = frame[i++];
        for (let k = 0; k < 1 - n && written < pixels; k++, written++, o += stride) out[o] = v;
      }
    }
  }
  return out;
}
