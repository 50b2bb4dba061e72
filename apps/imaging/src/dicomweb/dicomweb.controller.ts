import {
  applyDecorators,
  Controller,
  createParamDecorator,
  Get,
  HttpStatus,
  Param,
  Query,
  Req,
  Res,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import { ACTOR_KEY, type Actor, CurrentActor } from '@huizhen/auth';
import { type DicomJson, deidentifyPart10, parseInstance } from '@huizhen/dicom';
import { ApiBearerAuth, ApiParam, ApiTags } from '@nestjs/swagger';
import {
  ApiContent,
  BINARY,
  DICOM_JSON_ARRAY,
  Documented,
  DomainError,
} from '@huizhen/platform-http';
import { ImagingAccess, type StudyAccess } from '../access/imaging-access.service';
import { ImagingStore, type InstanceRow } from '../imaging-store';
import { IngestService } from '../ingest/ingest.service';
import { InstanceStore } from '../storage/instance-store';
import { baseUrl } from '../ingest/stow.controller';
import { outsiderJson, patientPseudonym } from './outsider-json';
import { QidoSearch, sendQidoResult } from './qido-search.service';
import { RenderService, type RenderRequest } from './render.service';
import { negotiateFrames, negotiateInstances } from './transfer-syntax-negotiation';
import { explicitLittleCopy } from './pixel-decoder';

type Q = Record<string, unknown>;

function notFound(what: string): never {
  throw new DomainError('not_found', HttpStatus.NOT_FOUND, `${what} not found`);
}

/** Writes a multipart/related body part by part (never the whole study in memory). */
async function sendMultipart(
  res: Response,
  type: string,
  parts: AsyncIterable<{ contentType: string; body: Buffer; location?: string }>,
): Promise<void> {
  const boundary = `huizhen-${randomBytes(12).toString('hex')}`;
  let started = false;
  for await (const part of parts) {
    if (!started) {
      res
        .status(200)
        .setHeader('Content-Type', `multipart/related; type="${type}"; boundary=${boundary}`);
      started = true;
    }
    const head = `--${boundary}\r\nContent-Type: ${part.contentType}\r\n${part.location ? `Content-Location: ${part.location}\r\n` : ''}\r\n`;
    if (!res.write(head)) await new Promise((r) => res.once('drain', r));
    if (!res.write(part.body)) await new Promise((r) => res.once('drain', r));
    res.write('\r\n');
  }
  if (!started) notFound('content');
  res.end(`--${boundary}--\r\n`);
}

/** The Accept of a request: the `accept` query parameter (PS3.18 8.3.3.1) or the header. */
function acceptOf(req: Request): string {
  return String(req.query.accept ?? req.headers.accept ?? '');
}

/** Which image a rendered or thumbnail route answers with (frame from 1). */
interface RenderedImage {
  study: string;
  series: string;
  instance: string;
  frame: number;
  thumbnail: boolean;
}

/**
 * A rendered or thumbnail route's request: who asks, the image, the query (window, viewport,
 * quality, accept) and the request (its Accept header).
 */
interface RenderedRequest {
  actor: Actor;
  image: RenderedImage;
  query: Q;
  req: Request;
}

/**
 * The one parameter of the rendered and thumbnail routes: the image their path names (study,
 * series, instance, frame), who asks and the query. A rendered frame is numbered from 1 (400
 * bad_frame otherwise); a thumbnail's frame falls back to 1. A series' or study's thumbnail
 * names no instance (nor a study's a series): the route picks its image.
 */
const Rendered = createParamDecorator(
  ({ thumbnail }: { thumbnail: boolean }, ctx: ExecutionContext): RenderedRequest => {
    const req = ctx.switchToHttp().getRequest<Request>();
    const { study, series, instance, frame } = req.params as Record<string, string>;
    return {
      actor: (req as unknown as Record<string, Actor>)[ACTOR_KEY],
      image: { study, series, instance, frame: frameOf(frame, thumbnail), thumbnail },
      query: req.query as Q,
      req,
    };
  },
);

/** GET `path`, its path parameters documented (the route takes them through @Rendered). */
function ImageRoute(path: string): MethodDecorator {
  const names = [...path.matchAll(/:(\w+)/g)].map((m) => m[1]);
  return applyDecorators(Get(path), ...names.map((name) => ApiParam({ name, type: String })));
}

function frameOf(frame: string | undefined, thumbnail: boolean): number {
  if (thumbnail) return Number(frame) || 1;
  if (frame === undefined) return 1;
  const n = Number(frame);
  if (!Number.isInteger(n) || n < 1)
    throw new DomainError('bad_frame', HttpStatus.BAD_REQUEST, 'frames are numbered from 1');
  return n;
}

/** QIDO-RS and WADO-RS under /dicom-web (PS3.18), every route checked and audited through ImagingAccess. */
@ApiTags('dicom-web')
@ApiBearerAuth()
@Controller('dicom-web')
export class DicomWebController {
  constructor(
    private readonly index: ImagingStore,
    private readonly access: ImagingAccess,
    private readonly store: InstanceStore,
    private readonly render: RenderService,
    private readonly ingest: IngestService,
    private readonly qido: QidoSearch,
  ) {}

  // ---------- QIDO-RS ----------

  @Documented('QIDO-RS: search studies', 'bad_query')
  @ApiContent(200, 'DICOM JSON datasets', { 'application/dicom+json': DICOM_JSON_ARRAY })
  @Get('studies')
  async searchStudies(
    @CurrentActor() actor: Actor,
    @Query() q: Q,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    return sendQidoResult(res, await this.qido.search(actor, 'study', q, baseUrl(req), {}));
  }

  @Documented('QIDO-RS: search series across studies', 'bad_query')
  @ApiContent(200, 'DICOM JSON datasets', { 'application/dicom+json': DICOM_JSON_ARRAY })
  @Get('series')
  async searchAllSeries(
    @CurrentActor() actor: Actor,
    @Query() q: Q,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    return sendQidoResult(res, await this.qido.search(actor, 'series', q, baseUrl(req), {}));
  }

  @Documented('QIDO-RS: search instances across studies', 'bad_query')
  @ApiContent(200, 'DICOM JSON datasets', { 'application/dicom+json': DICOM_JSON_ARRAY })
  @Get('instances')
  async searchAllInstances(
    @CurrentActor() actor: Actor,
    @Query() q: Q,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    return sendQidoResult(res, await this.qido.search(actor, 'instance', q, baseUrl(req), {}));
  }

  @Documented("QIDO-RS: search a study's series", 'study_not_found', 'access_denied', 'bad_query')
  @ApiContent(200, 'DICOM JSON datasets', { 'application/dicom+json': DICOM_JSON_ARRAY })
  @Get('studies/:study/series')
  async searchSeries(
    @CurrentActor() actor: Actor,
    @Param('study') study: string,
    @Query() q: Q,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const a = await this.access.readStudy(actor, study, 'search');
    return sendQidoResult(
      res,
      await this.qido.search(actor, 'series', q, baseUrl(req), { study: a }),
    );
  }

  @Documented(
    "QIDO-RS: search a study's instances",
    'study_not_found',
    'access_denied',
    'bad_query',
  )
  @ApiContent(200, 'DICOM JSON datasets', { 'application/dicom+json': DICOM_JSON_ARRAY })
  @Get('studies/:study/instances')
  async searchStudyInstances(
    @CurrentActor() actor: Actor,
    @Param('study') study: string,
    @Query() q: Q,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const a = await this.access.readStudy(actor, study, 'search');
    return sendQidoResult(
      res,
      await this.qido.search(actor, 'instance', q, baseUrl(req), { study: a }),
    );
  }

  @Documented(
    "QIDO-RS: search a series' instances",
    'study_not_found',
    'access_denied',
    'bad_query',
  )
  @ApiContent(200, 'DICOM JSON datasets', { 'application/dicom+json': DICOM_JSON_ARRAY })
  @Get('studies/:study/series/:series/instances')
  async searchSeriesInstances(
    @CurrentActor() actor: Actor,
    @Param('study') study: string,
    @Param('series') series: string,
    @Query() q: Q,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const a = await this.access.readStudy(actor, study, 'search');
    const s =
      (await this.index.resolveSeries(a.study.study_instance_uid, series)) ??
      notFound(`series ${series}`);
    return sendQidoResult(
      res,
      await this.qido.search(actor, 'instance', q, baseUrl(req), { study: a, series: s }),
    );
  }

  // ---------- WADO-RS metadata ----------

  @Documented(
    "WADO-RS: a study's metadata (DICOM JSON)",
    'study_not_found',
    'access_denied',
    'not_found',
  )
  @ApiContent(200, 'multipart/related parts', { 'multipart/related': BINARY })
  @Get('studies/:study/metadata')
  studyMetadata(
    @CurrentActor() actor: Actor,
    @Param('study') study: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    return this.metadata(actor, { study }, req, res);
  }

  @Documented(
    "WADO-RS: a series' metadata (DICOM JSON)",
    'study_not_found',
    'access_denied',
    'not_found',
  )
  @ApiContent(200, 'multipart/related parts', { 'multipart/related': BINARY })
  @Get('studies/:study/series/:series/metadata')
  seriesMetadata(
    @CurrentActor() actor: Actor,
    @Param('study') study: string,
    @Param('series') series: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    return this.metadata(actor, { study, series }, req, res);
  }

  @Documented(
    "WADO-RS: an instance's metadata (DICOM JSON)",
    'study_not_found',
    'access_denied',
    'not_found',
  )
  @ApiContent(200, 'multipart/related parts', { 'multipart/related': BINARY })
  @Get('studies/:study/series/:series/instances/:instance/metadata')
  instanceMetadata(
    @CurrentActor() actor: Actor,
    @Param('study') study: string,
    @Param('series') series: string,
    @Param('instance') instance: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    return this.metadata(actor, { study, series, instance }, req, res);
  }

  private async metadata(
    actor: Actor,
    where: { study: string; series?: string; instance?: string },
    req: Request,
    res: Response,
  ) {
    const a = await this.access.readStudy(actor, where.study, 'metadata');
    const texts = await this.index.metadataText({ ...where, study: a.study.study_instance_uid });
    if (!texts.length)
      notFound(
        where.instance
          ? `instance ${where.instance}`
          : where.series
            ? `series ${where.series}`
            : 'study content',
      );
    const host = baseUrl(req);
    if (!a.deidentify) {
      // Stored JSON text goes out as is, instance by instance: joining 50 CT instances' text
      // (670 KB) and rewriting it in one pass took 6.6 ms, more than the query. Bulk data URIs
      // are made absolute (compact text as written, or jsonb's spacing in rows stored before
      // the column became json).
      res.status(200).type('application/dicom+json');
      texts.forEach((t, i) =>
        res.write(
          (i ? ',' : '[') +
            t.replace(
              /("BulkDataURI": ?")\/dicom-web\//g,
              (_, head: string) => `${head}${host}/dicom-web/`,
            ),
        ),
      );
      res.end(']');
      return;
    }
    const out = texts.map((t) => {
      const json = outsiderJson(
        JSON.parse(t) as DicomJson,
        this.ingest.deidentificationKey,
        a.study.organization_id,
        a.study.dicom_patient_id,
      );
      return JSON.stringify(json).replaceAll(
        '"BulkDataURI":"/dicom-web/',
        `"BulkDataURI":"${host}/dicom-web/`,
      );
    });
    res
      .status(200)
      .type('application/dicom+json')
      .send(`[${out.join(',')}]`);
  }

  // ---------- WADO-RS instances ----------

  @Documented(
    'WADO-RS: retrieve a study (multipart/related application/dicom)',
    'study_not_found',
    'access_denied',
    'not_found',
    'not_acceptable',
    'render_failed',
  )
  @ApiContent(200, 'multipart/related parts', { 'multipart/related': BINARY })
  @Get('studies/:study')
  retrieveStudy(
    @CurrentActor() actor: Actor,
    @Param('study') study: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    return this.retrieve(actor, { study }, req, res);
  }

  @Documented(
    'WADO-RS: retrieve a series (multipart/related application/dicom)',
    'study_not_found',
    'access_denied',
    'not_found',
    'not_acceptable',
    'render_failed',
  )
  @ApiContent(200, 'multipart/related parts', { 'multipart/related': BINARY })
  @Get('studies/:study/series/:series')
  retrieveSeries(
    @CurrentActor() actor: Actor,
    @Param('study') study: string,
    @Param('series') series: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    return this.retrieve(actor, { study, series }, req, res);
  }

  @Documented(
    'WADO-RS: retrieve an instance (multipart/related application/dicom)',
    'study_not_found',
    'access_denied',
    'not_found',
    'not_acceptable',
    'render_failed',
  )
  @ApiContent(200, 'multipart/related parts', { 'multipart/related': BINARY })
  @Get('studies/:study/series/:series/instances/:instance')
  retrieveInstance(
    @CurrentActor() actor: Actor,
    @Param('study') study: string,
    @Param('series') series: string,
    @Param('instance') instance: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    return this.retrieve(actor, { study, series, instance }, req, res);
  }

  private async retrieve(
    actor: Actor,
    where: { study: string; series?: string; instance?: string },
    req: Request,
    res: Response,
  ) {
    const a = await this.access.readStudy(actor, where.study, 'instances');
    const rows = await this.index.instances({ ...where, study: a.study.study_instance_uid });
    if (!rows.length) notFound('instances');
    const negotiated = negotiateInstances(
      acceptOf(req),
      rows.map((r) => r.transfer_syntax_uid),
    );
    if ('refused' in negotiated)
      throw new DomainError('not_acceptable', HttpStatus.NOT_ACCEPTABLE, negotiated.refused);
    const key = this.ingest.deidentificationKey;
    const pseudonym = patientPseudonym(key, a.study.organization_id, a.study.dicom_patient_id);
    const store = this.store;
    const render = this.render;
    await sendMultipart(res, 'application/dicom', {
      async *[Symbol.asyncIterator]() {
        for (const [i, r] of rows.entries()) {
          const offer = negotiated.offers[i];
          const read = () => store.read(r.content_sha256);
          const bytes = offer.decode
            ? await render.decodedInstance(read)
            : offer.rewrite
              ? explicitLittleCopy(await read(), r.sop_class_uid, r.sop_instance_uid)
              : await read();
          yield {
            contentType: `application/dicom; transfer-syntax=${offer.transferSyntax}`,
            body: a.deidentify
              ? deidentifyPart10(bytes, { key, patientPseudonym: pseudonym })
              : bytes,
          };
        }
      },
    });
  }

  // ---------- WADO-RS frames and bulk data ----------

  @Documented(
    'WADO-RS: retrieve frames (as stored, or decoded to explicit VR little endian when asked)',
    'study_not_found',
    'access_denied',
    'not_found',
    'bad_frame',
    'frame_not_found',
    'not_acceptable',
    'burned_in_annotation',
    'render_failed',
  )
  @ApiContent(200, 'multipart/related parts', { 'multipart/related': BINARY })
  @Get('studies/:study/series/:series/instances/:instance/frames/:frames')
  async frames(
    @CurrentActor() actor: Actor,
    @Param('study') study: string,
    @Param('series') series: string,
    @Param('instance') instance: string,
    @Param('frames') frames: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const list = frames.split(',').map((f) => Number(f));
    if (!list.length || list.some((f) => !Number.isInteger(f) || f < 1))
      throw new DomainError(
        'bad_frame',
        HttpStatus.BAD_REQUEST,
        'frames are numbered from 1, comma-separated',
      );
    const { row } = await this.instanceFor(actor, study, series, instance, 'frames');
    await this.sendFrames(row, list, req, res);
  }

  @Documented(
    'WADO-RS: bulk data of an instance',
    'study_not_found',
    'access_denied',
    'not_found',
    'deidentified',
  )
  @ApiContent(200, 'the bulk data', { 'multipart/related': BINARY })
  @Get('studies/:study/series/:series/instances/:instance/bulk/:spec')
  async bulk(
    @CurrentActor() actor: Actor,
    @Param('study') study: string,
    @Param('series') series: string,
    @Param('instance') instance: string,
    @Param('spec') spec: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const { row, access } = await this.instanceFor(actor, study, series, instance, 'bulkdata');
    if (spec.toUpperCase() === '7FE00010') {
      const n = row.pixel_layout?.frames.length ?? 0;
      return this.sendFrames(
        row,
        Array.from({ length: n }, (_, i) => i + 1),
        req,
        res,
      );
    }
    const m = /^(\d+)-(\d+)$/.exec(spec);
    if (!m || Number(m[1]) + Number(m[2]) > Number(row.size_bytes)) notFound(`bulk data ${spec}`);
    if (access.deidentify)
      throw new DomainError(
        'deidentified',
        HttpStatus.FORBIDDEN,
        'bulk data other than pixel data is not part of the de-identified copy',
      );
    const body = await this.store.readRanges(row.content_sha256, [[Number(m[1]), Number(m[2])]]);
    await sendMultipart(
      res,
      'application/octet-stream',
      (async function* () {
        yield { contentType: 'application/octet-stream', body };
      })(),
    );
  }

  private async instanceFor(
    actor: Actor,
    study: string,
    series: string,
    instance: string,
    what: string,
  ): Promise<{ row: InstanceRow; access: StudyAccess }> {
    const access = await this.access.readStudy(actor, study, what, true);
    const [row] = await this.index.instances({
      study: access.study.study_instance_uid,
      series,
      instance,
    });
    if (!row) notFound(`instance ${instance}`);
    if (access.deidentify && row.burned_in_annotation) {
      throw new DomainError(
        'burned_in_annotation',
        HttpStatus.FORBIDDEN,
        'this image has identifying text burned into its pixels and cannot be shared de-identified',
      );
    }
    return { row, access };
  }

  private async frameBytes(row: InstanceRow, frame: number): Promise<Buffer> {
    const layout = row.pixel_layout;
    if (!layout) notFound('pixel data');
    if (frame > layout.frames.length)
      notFound(`frame ${frame} (the instance has ${layout.frames.length})`);
    let body: Buffer;
    if (layout.inflated) {
      const parsed = parseInstance(await this.store.read(row.content_sha256));
      const ranges = parsed.pixel!.frames[frame - 1];
      body = Buffer.concat(
        ranges.map(([o, l]) => Buffer.from(parsed.byteArray.subarray(o, o + l))),
      );
    } else {
      body = await this.store.readRanges(row.content_sha256, layout.frames[frame - 1]);
    }
    if (layout.bigEndian && !layout.encapsulated) body = swap16IfNeeded(body, row);
    return body;
  }

  /**
   * Frames in the media type and transfer syntax the Accept header asks for (406 with what this
   * instance can be sent as otherwise); every requested frame is checked before the answer
   * starts, so `frames/1,2` of a single-frame instance is a 404, not frame 1 and a cut body.
   */
  private async sendFrames(row: InstanceRow, list: number[], req: Request, res: Response) {
    const layout = row.pixel_layout;
    if (!layout) notFound('pixel data');
    const missing = list.filter((f) => f > layout.frames.length);
    if (missing.length)
      throw new DomainError(
        'frame_not_found',
        HttpStatus.NOT_FOUND,
        `frame ${missing.join(', ')} does not exist (the instance has ${layout.frames.length})`,
      );
    const negotiated = negotiateFrames(acceptOf(req), row.transfer_syntax_uid);
    if ('refused' in negotiated)
      throw new DomainError('not_acceptable', HttpStatus.NOT_ACCEPTABLE, negotiated.refused);
    const { offer } = negotiated;
    // Decoded frames are all made before the answer starts, so a decoder's failure is a 422.
    const decoded = offer.decode
      ? await this.render.decodedFrames(
          () => this.store.read(row.content_sha256),
          list.map((f) => f - 1),
        )
      : null;
    const frameBytes = (f: number, i: number) => decoded?.[i] ?? this.frameBytes(row, f);
    await sendMultipart(
      res,
      offer.mediaType,
      (async function* () {
        for (const [i, f] of list.entries())
          yield {
            contentType: `${offer.mediaType}; transfer-syntax=${offer.transferSyntax}`,
            body: await frameBytes(f, i),
          };
      })(),
    );
  }

  // ---------- rendered and thumbnails ----------

  @Documented(
    'WADO-RS: an instance rendered as JPEG or PNG (window, viewport)',
    'study_not_found',
    'access_denied',
    'not_found',
    'frame_not_found',
    'bad_window',
    'bad_viewport',
    'not_acceptable',
    'render_failed',
    'burned_in_annotation',
  )
  @ApiContent(200, 'the image', { 'image/jpeg': BINARY, 'image/png': BINARY })
  @ImageRoute('studies/:study/series/:series/instances/:instance/rendered')
  renderedInstance(@Rendered({ thumbnail: false }) r: RenderedRequest, @Res() res: Response) {
    return this.rendered(r, res);
  }

  @Documented(
    'WADO-RS: a frame rendered as JPEG or PNG (window, viewport)',
    'study_not_found',
    'access_denied',
    'not_found',
    'frame_not_found',
    'bad_window',
    'bad_viewport',
    'not_acceptable',
    'render_failed',
    'burned_in_annotation',
    'bad_frame',
  )
  @ApiContent(200, 'the image', { 'image/jpeg': BINARY, 'image/png': BINARY })
  @ImageRoute('studies/:study/series/:series/instances/:instance/frames/:frame/rendered')
  renderedFrame(@Rendered({ thumbnail: false }) r: RenderedRequest, @Res() res: Response) {
    return this.rendered(r, res);
  }

  @Documented(
    "WADO-RS: an instance's thumbnail",
    'study_not_found',
    'access_denied',
    'not_found',
    'frame_not_found',
    'bad_window',
    'bad_viewport',
    'not_acceptable',
    'render_failed',
    'burned_in_annotation',
  )
  @ApiContent(200, 'multipart/related parts', { 'multipart/related': BINARY })
  @ImageRoute('studies/:study/series/:series/instances/:instance/thumbnail')
  instanceThumbnail(@Rendered({ thumbnail: true }) r: RenderedRequest, @Res() res: Response) {
    return this.rendered(r, res);
  }

  @Documented(
    "WADO-RS: a frame's thumbnail",
    'study_not_found',
    'access_denied',
    'not_found',
    'frame_not_found',
    'bad_window',
    'bad_viewport',
    'not_acceptable',
    'render_failed',
    'burned_in_annotation',
    'bad_frame',
  )
  @ApiContent(200, 'multipart/related parts', { 'multipart/related': BINARY })
  @ImageRoute('studies/:study/series/:series/instances/:instance/frames/:frame/thumbnail')
  frameThumbnail(@Rendered({ thumbnail: true }) r: RenderedRequest, @Res() res: Response) {
    return this.rendered(r, res);
  }

  @Documented(
    "WADO-RS: a series' thumbnail",
    'study_not_found',
    'access_denied',
    'not_found',
    'frame_not_found',
    'bad_window',
    'bad_viewport',
    'not_acceptable',
    'render_failed',
    'burned_in_annotation',
  )
  @ApiContent(200, 'multipart/related parts', { 'multipart/related': BINARY })
  @ImageRoute('studies/:study/series/:series/thumbnail')
  async seriesThumbnail(@Rendered({ thumbnail: true }) r: RenderedRequest, @Res() res: Response) {
    const { study, series } = r.image;
    const a = await this.access.readStudy(r.actor, study, 'thumbnail', true);
    const rows = (await this.index.instances({ study: a.study.study_instance_uid, series })).filter(
      (row) => row.pixel_layout,
    );
    if (!rows.length) notFound('an image in this series');
    const mid = rows[Math.floor(rows.length / 2)];
    return this.rendered(
      {
        ...r,
        image: {
          ...r.image,
          series: mid.series_instance_uid,
          instance: mid.sop_instance_uid,
        },
      },
      res,
    );
  }

  @Documented(
    "WADO-RS: a study's thumbnail",
    'study_not_found',
    'access_denied',
    'not_found',
    'frame_not_found',
    'bad_window',
    'bad_viewport',
    'not_acceptable',
    'render_failed',
    'burned_in_annotation',
  )
  @ApiContent(200, 'multipart/related parts', { 'multipart/related': BINARY })
  @ImageRoute('studies/:study/thumbnail')
  async studyThumbnail(@Rendered({ thumbnail: true }) r: RenderedRequest, @Res() res: Response) {
    const a = await this.access.readStudy(r.actor, r.image.study, 'thumbnail', true);
    const rows = (await this.index.instances({ study: a.study.study_instance_uid })).filter(
      (row) => row.pixel_layout,
    );
    if (!rows.length) notFound('an image in this study');
    const first = rows.filter((row) => row.series_instance_uid === rows[0].series_instance_uid);
    const mid = first[Math.floor(first.length / 2)];
    return this.rendered(
      {
        ...r,
        image: {
          ...r.image,
          series: mid.series_instance_uid,
          instance: mid.sop_instance_uid,
        },
      },
      res,
    );
  }

  private async rendered({ actor, image, query: q, req }: RenderedRequest, res: Response) {
    const { study, series, instance, frame, thumbnail } = image;
    const accept = String(q.accept ?? req.headers.accept ?? '');
    const format: RenderRequest['format'] =
      /image\/png/i.test(accept) &&
      !/image\/jpeg[^,]*q=1\b/.test(accept) &&
      !(/image\/jpeg/i.test(accept) && accept.indexOf('image/jpeg') < accept.indexOf('image/png'))
        ? 'image/png'
        : 'image/jpeg';
    if (accept && !/image\/(png|jpeg)|image\/\*|\*\/\*/i.test(accept)) {
      throw new DomainError(
        'not_acceptable',
        HttpStatus.NOT_ACCEPTABLE,
        'rendered images are image/jpeg or image/png',
      );
    }
    const r: RenderRequest = { frame: frame - 1, format };
    if (q.window !== undefined) {
      const [c, w] = String(q.window).split(',').map(Number);
      if (!Number.isFinite(c) || !Number.isFinite(w) || w <= 0)
        throw new DomainError(
          'bad_window',
          HttpStatus.BAD_REQUEST,
          'window is center,width[,function] with width > 0',
        );
      r.window = { center: c, width: w };
    }
    const vp = q.viewport ?? (thumbnail ? '128,128' : undefined);
    if (vp !== undefined) {
      const [w, h] = String(vp).split(',').map(Number);
      if (
        !Number.isInteger(w) ||
        w < 1 ||
        w > 4096 ||
        !(Number.isInteger(h) ? h >= 1 && h <= 4096 : Number.isNaN(h))
      ) {
        throw new DomainError(
          'bad_viewport',
          HttpStatus.BAD_REQUEST,
          'viewport is width,height in pixels (1-4096)',
        );
      }
      r.viewport = { width: w, height: Number.isInteger(h) ? h : w };
    }
    if (q.quality !== undefined) r.quality = Math.min(100, Math.max(1, Number(q.quality) || 90));
    const { row } = await this.instanceFor(
      actor,
      study,
      series,
      instance,
      thumbnail ? 'thumbnail' : 'rendered',
    );
    if (!row.pixel_layout) notFound('pixel data');
    const img = await this.render.render(
      row.content_sha256,
      () => this.store.read(row.content_sha256),
      r,
    );
    res.status(200).type(format).setHeader('Cache-Control', 'private, max-age=300');
    res.send(img);
  }
}

function swap16IfNeeded(body: Buffer, row: InstanceRow): Buffer {
  // Explicit VR Big Endian frames are served little endian (transfer-syntax 1.2.840.10008.1.2.1).
  const bits = row.pixel_layout?.bitsAllocated ?? 8;
  const out = Buffer.from(body);
  if (bits === 16 && out.length % 2 === 0) out.swap16();
  if (bits === 32 && out.length % 4 === 0) out.swap32();
  return out;
}
