import { HttpStatus, Injectable, type OnModuleInit } from '@nestjs/common';
import sharp from 'sharp';
import { DicomImage, NativePixelDecoder, WindowLevel, log as imagingLog } from 'dcmjs-imaging';
import { DomainError } from '@huizhen/platform-http';
import { TS, decodeRleFrame, parseInstance } from '@huizhen/dicom';
import { type GreyImage, greyImageOf, renderGrey } from './grey-window';

export interface RenderRequest {
  frame: number; // 0-based
  window?: { center: number; width: number };
  viewport?: { width: number; height: number };
  format: 'image/png' | 'image/jpeg';
  quality?: number;
}

/**
 * Rendered frames and thumbnails: native greyscale images with a linear window are windowed
 * here (grey-window.ts); dcmjs-imaging decodes everything else (deflate, big endian, RLE, JPEG
 * baseline/extended/lossless, JPEG-LS, JPEG 2000, colour, LUTs) and applies modality LUT, VOI
 * window and photometric interpretation; sharp scales to the viewport and encodes PNG or JPEG.
 */
@Injectable()
export class RenderService implements OnModuleInit {
  private ready: Promise<void> | null = null;
  // Multi-frame viewers ask for frame after frame of one instance: keep a few parsed images.
  private readonly cache = new Map<string, DicomImage | GreyImage>();

  onModuleInit() {
    try {
      (imagingLog as any)?.setLevel?.('silent');
    } catch {}
    this.ready = NativePixelDecoder.initializeAsync();
  }

  /** A native greyscale image is windowed here (GreyImage); anything else goes to dcmjs-imaging. */
  private image(sha: string, bytes: () => Promise<Buffer>): Promise<DicomImage | GreyImage> {
    const hit = this.cache.get(sha);
    if (hit) {
      this.cache.delete(sha);
      this.cache.set(sha, hit);
      return Promise.resolve(hit);
    }
    return bytes().then((b) => {
      let img: DicomImage | GreyImage | null = greyImageOf(parseInstance(b));
      if (!img) {
        img = new DicomImage(
          b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer,
        );
        if (img.getTransferSyntaxUid() === TS.rle) img = this.withDecodedRle(img, b);
      }
      this.cache.set(sha, img);
      while (this.cache.size > 8) this.cache.delete(this.cache.keys().next().value!);
      return img;
    });
  }

  private withDecodedRle(img: DicomImage, bytes: Buffer): DicomImage {
    const parsed = parseInstance(bytes);
    const { rows, columns, samplesPerPixel, bitsAllocated } = parsed.image!;
    const frames = parsed.pixel!.frames.map((ranges) => {
      const frame = Buffer.concat(ranges.map(([o, l]) => parsed.byteArray.subarray(o, o + l)));
      const native = decodeRleFrame(frame, rows, columns, samplesPerPixel, bitsAllocated);
      return native.buffer.slice(native.byteOffset, native.byteOffset + native.byteLength);
    });
    const elements = img.getElements() as Record<string, unknown>;
    elements.PixelData = frames;
    elements.PlanarConfiguration = 0;
    return new DicomImage(elements, TS.explicitLittle);
  }

  /** Grey images (MONOCHROME1/2, from the instance itself) are encoded as one channel. */
  async render(sha: string, bytes: () => Promise<Buffer>, req: RenderRequest): Promise<Buffer> {
    await (this.ready ??= NativePixelDecoder.initializeAsync());
    const img = await this.image(sha, bytes);
    const frames =
      img instanceof DicomImage ? img.getNumberOfFrames() : img.parsed.pixel!.frames.length;
    if (req.frame < 0 || req.frame >= frames) {
      throw new DomainError(
        'frame_not_found',
        HttpStatus.NOT_FOUND,
        `frame ${req.frame + 1} does not exist (the instance has ${frames})`,
      );
    }
    let pipeline: sharp.Sharp;
    if (img instanceof DicomImage) {
      let result: { width: number; height: number; pixels: ArrayBuffer };
      try {
        result = img.render({
          frame: req.frame,
          ...(req.window
            ? { windowLevel: new WindowLevel(req.window.width, req.window.center) }
            : {}),
        });
      } catch (e) {
        this.cache.delete(sha);
        throw new DomainError(
          'render_failed',
          HttpStatus.UNPROCESSABLE_ENTITY,
          `cannot render this frame: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      pipeline = sharp(Buffer.from(result.pixels), {
        raw: { width: result.width, height: result.height, channels: 4 },
      }).removeAlpha();
      if (String(img.getElement('PhotometricInterpretation') ?? '').startsWith('MONOCHROME'))
        pipeline = pipeline.toColourspace('b-w');
    } else {
      const grey = renderGrey(img, req.frame, req.window);
      pipeline = sharp(
        Buffer.from(grey.pixels.buffer, grey.pixels.byteOffset, grey.pixels.byteLength),
        { raw: { width: grey.width, height: grey.height, channels: 1 } },
      );
    }
    if (req.viewport) {
      pipeline = pipeline.resize(req.viewport.width, req.viewport.height, {
        fit: 'inside',
        withoutEnlargement: false,
        kernel: 'lanczos3',
      });
    }
    return req.format === 'image/png'
      ? pipeline.png({ compressionLevel: 3 }).toBuffer()
      : pipeline.jpeg({ quality: req.quality ?? 90 }).toBuffer();
  }
}
