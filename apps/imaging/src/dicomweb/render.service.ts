import { HttpStatus, Injectable, type OnModuleInit } from '@nestjs/common';
import sharp from 'sharp';
import { DicomImage, NativePixelDecoder, WindowLevel, log as imagingLog } from 'dcmjs-imaging';
import { DomainError } from '@huizhen/platform-http';
import { type ParsedInstance, TS, parseInstance } from '@huizhen/dicom';
import { type GreyImage, greyImageOf, renderGrey } from './grey-window';
import { decodeFrame, decodedInstance, jpegStoresRgb } from './pixel-decoder';

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
        if (this.decodedHere(img)) img = this.withDecodedFrames(img, parseInstance(b));
      }
      this.cache.set(sha, img);
      while (this.cache.size > 8) this.cache.delete(this.cache.keys().next().value!);
      return img;
    });
  }

  /**
   * Whether the frames are decoded here rather than by dcmjs-imaging: colour RLE (its planes
   * come out mixed up) and RGB JPEG stored without colour transform (it always applies the
   * YCbCr one to baseline JPEG, which turned pydicom's SC_jpeg_no_color_transform magenta).
   */
  private decodedHere(img: DicomImage): boolean {
    const ts = img.getTransferSyntaxUid();
    if (ts === TS.rle) return true;
    if (ts !== TS.jpegBaseline && ts !== TS.jpegExtended) return false;
    if (Number(img.getElement('SamplesPerPixel')) !== 3) return false;
    const fragments = (img.getElements() as { PixelData?: ArrayBuffer[] }).PixelData;
    const first = fragments?.[0];
    return (
      !!first &&
      jpegStoresRgb(new Uint8Array(first), String(img.getElement('PhotometricInterpretation')))
    );
  }

  private withDecodedFrames(img: DicomImage, parsed: ParsedInstance): DicomImage {
    let photometric = '';
    const frames = parsed.pixel!.frames.map((_, i) => {
      const decoded = decodeFrame(parsed, i);
      photometric = decoded.photometric;
      const px = decoded.pixels;
      return px.buffer.slice(px.byteOffset, px.byteOffset + px.byteLength);
    });
    const elements = img.getElements() as Record<string, unknown>;
    elements.PixelData = frames;
    elements.PlanarConfiguration = 0;
    if (photometric) elements.PhotometricInterpretation = photometric;
    return new DicomImage(elements, TS.explicitLittle);
  }

  /**
   * Frames (0-based) of an encapsulated instance decoded to native explicit VR little endian
   * bytes (WADO-RS frames asked for in 1.2.840.10008.1.2.1); 406-free: the caller offered this
   * only for a syntax the decoders read. A decoder failure is a 422 render_failed.
   */
  async decodedFrames(bytes: () => Promise<Buffer>, frames: number[]): Promise<Buffer[]> {
    await (this.ready ??= NativePixelDecoder.initializeAsync());
    const parsed = parseInstance(await bytes());
    return this.decoding(() => frames.map((f) => decodeFrame(parsed, f).pixels));
  }

  /** A whole encapsulated instance re-encoded as explicit VR little endian (WADO-RS retrieve). */
  async decodedInstance(bytes: () => Promise<Buffer>): Promise<Buffer> {
    await (this.ready ??= NativePixelDecoder.initializeAsync());
    const parsed = parseInstance(await bytes());
    return this.decoding(() => decodedInstance(parsed));
  }

  private decoding<T>(work: () => T): T {
    try {
      return work();
    } catch (e) {
      throw new DomainError(
        'render_failed',
        HttpStatus.UNPROCESSABLE_ENTITY,
        `cannot decode the pixel data: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
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
