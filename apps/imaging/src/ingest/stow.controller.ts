import { Controller, HttpStatus, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import * as Multipasta from 'multipasta';
import { type Actor, CurrentActor } from '@huizhen/auth';
import { isValidUid } from '@huizhen/dicom';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiContent, Documented, DomainError, errorBody } from '@huizhen/platform-http';
import { ImagingAccess } from '../access/imaging-access.service';
import { IngestService, type IngestOutcome } from './ingest.service';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { Inject } from '@nestjs/common';

/** At most this many parts of one request are parsed and staged at once while the next parts stream in. */
const IN_PREPARATION = 16;
/** At most this many instances of one request wait for their commit before reading pauses. */
const UNSETTLED = 128;

export function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host')}`;
}

/** The STOW-RS response body (PS3.18 10.5.3): referenced and failed SOP sequences. */
export function stowResponse(
  outcomes: IngestOutcome[],
  base: string,
  studyUid?: string,
): Record<string, unknown> {
  const ok = outcomes.filter((o): o is Extract<IngestOutcome, { ok: true }> => o.ok);
  const failed = outcomes.filter((o): o is Extract<IngestOutcome, { ok: false }> => !o.ok);
  const body: Record<string, unknown> = {};
  const study = studyUid ?? ok[0]?.studyInstanceUid;
  if (study && ok.every((o) => o.studyInstanceUid === study))
    body['00081190'] = { vr: 'UR', Value: [`${base}/dicom-web/studies/${study}`] };
  if (ok.length) {
    body['00081199'] = {
      vr: 'SQ',
      Value: ok.map((o) => ({
        '00081150': { vr: 'UI', Value: [o.sopClassUid] },
        '00081155': { vr: 'UI', Value: [o.sopInstanceUid] },
        '00081190': {
          vr: 'UR',
          Value: [
            `${base}/dicom-web/studies/${o.studyInstanceUid}/series/${o.seriesInstanceUid}/instances/${o.sopInstanceUid}`,
          ],
        },
        // An identical repeat is plain success; a kept or replaced different copy says so.
        ...(o.warning
          ? {
              '00081196': { vr: 'US', Value: [o.warning.reason] },
              '00000902': { vr: 'LO', Value: [o.warning.message.slice(0, 1024)] },
            }
          : {}),
      })),
    };
  }
  if (failed.length) {
    body['00081198'] = {
      vr: 'SQ',
      Value: failed.map((o) => ({
        ...(o.sopClassUid ? { '00081150': { vr: 'UI', Value: [o.sopClassUid] } } : {}),
        ...(o.sopInstanceUid ? { '00081155': { vr: 'UI', Value: [o.sopInstanceUid] } } : {}),
        '00081197': { vr: 'US', Value: [o.failureReason] },
        '00000902': { vr: 'LO', Value: [o.message.slice(0, 1024)] },
      })),
    };
  }
  return body;
}

/**
 * STOW-RS: multipart/related; type="application/dicom". Parts stream through multipasta; each
 * part is held only until it is validated and staged, so a study of any size never sits in memory.
 */
@ApiTags('dicom-web')
@ApiBearerAuth()
@Controller('dicom-web/studies')
export class StowController {
  constructor(
    private readonly ingest: IngestService,
    private readonly access: ImagingAccess,
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
  ) {}

  @Documented(
    'STOW-RS: store instances (multipart/related application/dicom, streamed)',
    'unsupported_media_type',
    'bad_multipart',
    'access_denied',
  )
  @ApiContent(
    200,
    'the store outcome: ReferencedSOPSequence and FailedSOPSequence (202 when some failed)',
    { 'application/dicom+json': { type: 'object', additionalProperties: true } },
  )
  @Post()
  store(@CurrentActor() actor: Actor, @Req() req: Request, @Res() res: Response) {
    return this.handle(actor, req, res);
  }

  @Documented(
    'STOW-RS: store instances into a named study',
    'invalid_uid',
    'unsupported_media_type',
    'bad_multipart',
    'access_denied',
  )
  @ApiContent(
    200,
    'the store outcome: ReferencedSOPSequence and FailedSOPSequence (202 when some failed)',
    { 'application/dicom+json': { type: 'object', additionalProperties: true } },
  )
  @Post(':study')
  storeInStudy(
    @CurrentActor() actor: Actor,
    @Param('study') study: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    if (!isValidUid(study))
      throw new DomainError(
        'invalid_uid',
        HttpStatus.BAD_REQUEST,
        `"${study}" is not a valid Study Instance UID`,
      );
    return this.handle(actor, req, res, study);
  }

  private async handle(
    actor: Actor,
    req: Request,
    res: Response,
    studyUid?: string,
  ): Promise<void> {
    await this.access.assertCanStore(actor);
    const contentType = req.headers['content-type'] ?? '';
    if (!/^multipart\/related/i.test(contentType)) {
      throw new DomainError(
        'unsupported_media_type',
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        'STOW-RS takes multipart/related; type="application/dicom"',
      );
    }
    const type = /type="?([^";]+)"?/i.exec(contentType)?.[1]?.toLowerCase();
    if (type && type !== 'application/dicom') {
      throw new DomainError(
        'unsupported_media_type',
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        `multipart/related of ${type} is not supported; send application/dicom parts`,
      );
    }
    if (!/boundary=/i.test(contentType))
      throw new DomainError(
        'bad_multipart',
        HttpStatus.BAD_REQUEST,
        'multipart/related without a boundary',
      );
    const outcomes: Promise<IngestOutcome>[] = [];
    const max = this.config.imaging.maxInstanceBytes;
    const session = this.ingest.open({
      organizationId: actor.organizationId,
      actor,
      via: 'stow' as const,
      expectedStudyUid: studyUid,
    });
    // Reading pauses while too many parts are being parsed/staged or waiting for their commit.
    const busy = () => session.inPreparation >= IN_PREPARATION || session.unsettled >= UNSETTLED;
    session.onProgress = () => {
      if (req.isPaused() && !busy()) req.resume();
    };
    let parseError: string | null = null;
    await new Promise<void>((resolve) => {
      const parser = Multipasta.make({
        headers: { 'content-type': contentType },
        isFile: () => true,
        onField: () => undefined,
        onFile: (info) => {
          const chunks: Buffer[] = [];
          let size = 0;
          let tooBig = false;
          return (chunk) => {
            if (chunk !== null) {
              if (tooBig) return;
              size += chunk.length;
              if (size > max) {
                tooBig = true;
                chunks.length = 0;
                return;
              }
              chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
              return;
            }
            const partType = (info.contentType || 'application/dicom').toLowerCase();
            let p: Promise<IngestOutcome>;
            if (tooBig) {
              p = Promise.resolve({
                ok: false,
                failureReason: 0xa700,
                code: 'too_large',
                message: `instance is larger than the limit of ${max} bytes`,
              });
            } else if (partType !== 'application/dicom') {
              p = Promise.resolve({
                ok: false,
                failureReason: 0xc000,
                code: 'unsupported_part',
                message: `part of type ${partType} is not application/dicom`,
              });
            } else {
              // A part in one chunk is a view of the socket's buffer; a joined part is ours to hand over.
              p =
                chunks.length === 1
                  ? session.add(chunks[0])
                  : session.add(Buffer.concat(chunks, size), true);
            }
            chunks.length = 0;
            outcomes.push(p);
            if (busy()) req.pause();
          };
        },
        onError: (e) => {
          parseError =
            e._tag === 'ReachedLimit'
              ? `multipart limit reached: ${e.limit}`
              : `malformed multipart body (${e._tag})`;
        },
        onDone: () => resolve(),
      });
      req.on('data', (chunk: Buffer) => parser.write(chunk));
      req.on('end', () => parser.end());
      req.on('close', () => resolve());
      req.on('error', () => resolve());
    });
    // Body done (or the client went away): what was received in full is committed either way.
    session.close();
    const settled = await Promise.all(outcomes);
    if (req.destroyed && !req.complete) return; // the client went away; stored instances stay stored
    if (!settled.length) {
      res
        .status(400)
        .json(errorBody(400, parseError ?? 'the request carried no application/dicom parts'));
      return;
    }
    const stored = settled.filter((o) => o.ok).length;
    // PS3.18 10.5.3: 202 when some failed or were stored with a warning (a different copy kept out).
    const clean = settled.filter((o) => o.ok && !o.warning).length;
    const status =
      clean === settled.length
        ? HttpStatus.OK
        : stored > 0
          ? HttpStatus.ACCEPTED
          : HttpStatus.CONFLICT;
    res
      .status(status)
      .type('application/dicom+json')
      .send(JSON.stringify(stowResponse(settled, baseUrl(req), studyUid)));
  }
}
