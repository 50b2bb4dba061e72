import { Controller, Get, HttpStatus, Param, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createHmac, randomBytes } from 'node:crypto';
import { type Actor, CurrentActor } from '@huizhen/auth';
import { type DicomJson, deidentifyJson, deidentifyPart10, frameMediaType, isEncapsulated, parseInstance, TS } from '@huizhen/dicom';
import { prepared } from '@huizhen/database';
import { DomainError } from '@huizhen/platform-http';
import { ImagingAccess, type StudyAccess } from '../access/imaging-access.service';
import { ImagingIndex, type InstanceRow } from '../imaging-index.service';
import { IngestService } from '../ingest/ingest.service';
import { InstanceStore } from '../storage/instance-store';
import { baseUrl } from '../ingest/stow.controller';
import { type Level, parseQido } from './qido';
import { RenderService, type RenderRequest } from './render.service';

type Q = Record<string, unknown>;

function notFound(what: string): never {
  throw new DomainError('not_found', HttpStatus.NOT_FOUND, `${what} not found`);
}

/** Writes a multipart/related body part by part (never the whole study in memory). */
async function sendMultipart(res: Response, type: string, parts: AsyncIterable<{ contentType: string; body: Buffer; location?: string }>): Promise<void> {
  const boundary = `huizhen-${randomBytes(12).toString('hex')}`;
  let started = false;
  for await (const part of parts) {
    if (!started) {
      res.status(200).setHeader('Content-Type', `multipart/related; type="${type}"; boundary=${boundary}`);
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

function wantsType(req: Request, fallback: string): string {
  const accept = String(req.query.accept ?? req.headers.accept ?? '');
  const m = /type="?([^";,]+)"?/i.exec(accept);
  return (m?.[1] ?? fallback).toLowerCase();
}

/** QIDO-RS and WADO-RS under /dicom-web (PS3.18), every route checked and audited through ImagingAccess. */
@Controller('dicom-web')
export class DicomWebController {
  constructor(
    private readonly index: ImagingIndex,
    private readonly access: ImagingAccess,
    private readonly store: InstanceStore,
    private readonly render: RenderService,
    private readonly ingest: IngestService,
  ) {}

  // ---------- QIDO-RS ----------

  @Get('studies')
  searchStudies(@CurrentActor() actor: Actor, @Query() q: Q, @Req() req: Request, @Res() res: Response) {
    return this.search(actor, 'study', q, req, res, {});
  }

  @Get('series')
  searchAllSeries(@CurrentActor() actor: Actor, @Query() q: Q, @Req() req: Request, @Res() res: Response) {
    return this.search(actor, 'series', q, req, res, {});
  }

  @Get('instances')
  searchAllInstances(@CurrentActor() actor: Actor, @Query() q: Q, @Req() req: Request, @Res() res: Response) {
    return this.search(actor, 'instance', q, req, res, {});
  }

  @Get('studies/:study/series')
  async searchSeries(@CurrentActor() actor: Actor, @Param('study') study: string, @Query() q: Q, @Req() req: Request, @Res() res: Response) {
    const a = await this.access.readStudy(actor, study, 'search');
    return this.search(actor, 'series', q, req, res, { study: a });
  }

  @Get('studies/:study/instances')
  async searchStudyInstances(@CurrentActor() actor: Actor, @Param('study') study: string, @Query() q: Q, @Req() req: Request, @Res() res: Response) {
    const a = await this.access.readStudy(actor, study, 'search');
    return this.search(actor, 'instance', q, req, res, { study: a });
  }

  @Get('studies/:study/series/:series/instances')
  async searchSeriesInstances(@CurrentActor() actor: Actor, @Param('study') study: string, @Param('series') series: string, @Query() q: Q, @Req() req: Request, @Res() res: Response) {
    const a = await this.access.readStudy(actor, study, 'search');
    const s = (await this.index.resolveSeries(a.study.study_instance_uid, series)) ?? notFound(`series ${series}`);
    return this.search(actor, 'instance', q, req, res, { study: a, series: s });
  }

  private async search(actor: Actor, level: Level, q: Q, req: Request, res: Response, scope: { study?: StudyAccess; series?: string }) {
    const qq = parseQido(q, level);
    const { where, params } = qq;
    if (scope.study) {
      params.push(scope.study.study.study_instance_uid);
      where.push(`st.study_instance_uid = $${params.length}`);
      if (scope.series) {
        params.push(scope.series);
        where.push(`se.series_instance_uid = $${params.length}`);
      }
    }
    // Listing (no study in the path): the actor's organizations, explicit grants, and (for named
    // studies) anything the policy allows.
    let ownCond = '';
    let sharedCond = '';
    let orgs: string[] = [];
    if (!scope.study) {
      orgs = await this.access.searchableOrganizations(actor);
      const extra: string[] = [];
      if (qq.uidFilter) {
        for (const uid of qq.uidFilter.slice(0, 50)) {
          const s = await this.index.findStudy(uid);
          if (s && (await this.access.canRead(actor, s))) extra.push(s.study_instance_uid);
        }
      }
      // One organization (the usual clinician) as a plain equality, so the (organization, date, time) index returns rows in order.
      params.push(orgs.length === 1 ? orgs[0] : orgs);
      ownCond = orgs.length === 1 ? `st.organization_id = $${params.length}::uuid` : `st.organization_id = ANY($${params.length}::uuid[])`;
      params.push(actor.id, actor.organizationId, extra);
      const n = params.length;
      // Driven from the (few) granted or named studies, looked up by primary key.
      sharedCond = `st.study_instance_uid = ANY(ARRAY(
          SELECT unnest($${n}::text[])
          UNION
          SELECT resource_id FROM access_grant WHERE resource_type = 'imaging_study' AND action IN ('read', '*') AND revoked_at IS NULL
             AND (expires_at IS NULL OR expires_at > now()) AND (grantee_practitioner_id = $${n - 2}::uuid OR grantee_organization_id = $${n - 1}::uuid)))`;
    }
    const and = (extra: string) => [...where, ...(extra ? [extra] : [])];
    const whereOf = (extra: string) => (and(extra).length ? `WHERE ${and(extra).join(' AND ')}` : '');
    const cond = whereOf(ownCond && sharedCond ? `(${ownCond} OR ${sharedCond})` : '');
    params.push(qq.limit, qq.offset);
    const lim = `LIMIT $${params.length - 1} OFFSET $${params.length}`;
    let sql: string;
    if (level === 'study') {
      if (where.some((w) => w.includes('se.'))) bad();
      const order = 'ORDER BY st.study_date DESC NULLS LAST, st.study_time DESC NULLS LAST, st.study_instance_uid';
      const cols = 'st.study_instance_uid, st.deid_uid, st.organization_id, st.dicom_patient_id, st.study_json, st.modalities, st.number_of_series, st.number_of_instances';
      if (ownCond) {
        // Own studies and shared ones as two ordered, limited branches (each can walk an index
        // in order and stop), merged: an OR across both would scan and sort every visible study.
        const top = `LIMIT ($${params.length - 1}::int + $${params.length}::int)`;
        sql = `SELECT ${cols} FROM imaging_study st WHERE st.study_instance_uid = ANY(ARRAY(
                 (SELECT st.study_instance_uid FROM imaging_study st ${whereOf(ownCond)} ${order} ${top})
                 UNION
                 (SELECT st.study_instance_uid FROM imaging_study st ${whereOf(sharedCond)} ${order} ${top})))
               ${order} ${lim}`;
      } else {
        sql = `SELECT ${cols} FROM imaging_study st ${cond} ${order} ${lim}`;
      }
    } else if (level === 'series') {
      sql = `SELECT st.study_instance_uid, st.deid_uid AS study_deid, st.organization_id, st.dicom_patient_id, st.study_json, se.series_instance_uid, se.deid_uid, se.series_json, se.number_of_instances
               FROM imaging_series se JOIN imaging_study st ON st.study_instance_uid = se.study_instance_uid ${cond}
              ORDER BY st.study_instance_uid, se.series_number NULLS LAST, se.series_instance_uid ${lim}`;
    } else {
      sql = `SELECT st.study_instance_uid, st.deid_uid AS study_deid, st.organization_id, st.dicom_patient_id, st.study_json, se.series_instance_uid, se.deid_uid AS series_deid, se.series_json,
                    i.sop_instance_uid, i.metadata
               FROM imaging_instance i JOIN imaging_series se ON se.series_instance_uid = i.series_instance_uid JOIN imaging_study st ON st.study_instance_uid = i.study_instance_uid ${cond}
              ORDER BY se.series_number NULLS LAST, i.series_instance_uid, i.instance_number NULLS LAST ${lim}`;
    }
    // A listing audits the reader's own organizations' studies in the same statement (one round
    // trip; the event exists exactly when the rows were read). The CTE is materialized and read
    // back in its order.
    const auditedInStatement = !scope.study && orgs.length > 0;
    if (auditedInStatement) {
      params.push(orgs);
      sql = `WITH found AS MATERIALIZED (${sql}),
             logged AS (${this.access.searchAuditStatement(actor, level, params, `$${params.length}`)})
             SELECT * FROM found`;
    }
    const rows: any[] = await this.index.db.query(prepared(sql), params);
    if (auditedInStatement) this.access.searchAudited();
    const ownOrgs = new Set(auditedInStatement ? orgs : []);
    const deidByOrg = new Map<string, boolean>();
    const base = baseUrl(req);
    const out: DicomJson[] = [];
    const studies = new Map<string, boolean>();
    for (const r of rows) {
      let deid = scope.study?.deidentify;
      if (deid === undefined) {
        deid = deidByOrg.get(r.organization_id);
        if (deid === undefined) deidByOrg.set(r.organization_id, (deid = await this.access.mustDeidentify(actor, r.organization_id)));
      }
      if (deid && qq.identityFilter) continue;
      if (!ownOrgs.has(r.organization_id)) studies.set(r.study_instance_uid, deid);
      let json: DicomJson;
      const studyUrl = `${base}/dicom-web/studies/${r.study_instance_uid}`;
      if (level === 'study') {
        json = { ...r.study_json };
        json['00080061'] = { vr: 'CS', Value: r.modalities };
        json['00201206'] = { vr: 'IS', Value: [r.number_of_series] };
        json['00201208'] = { vr: 'IS', Value: [r.number_of_instances] };
        json['00080056'] = { vr: 'CS', Value: ['ONLINE'] };
        json['00081190'] = { vr: 'UR', Value: [studyUrl] };
      } else if (level === 'series') {
        json = { ...(qq.includeAll || !scope.study ? pickStudy(r.study_json) : {}), ...r.series_json };
        json['0020000D'] = { vr: 'UI', Value: [r.study_instance_uid] };
        json['00201209'] = { vr: 'IS', Value: [r.number_of_instances] };
        json['00080056'] = { vr: 'CS', Value: ['ONLINE'] };
        json['00081190'] = { vr: 'UR', Value: [`${studyUrl}/series/${r.series_instance_uid}`] };
      } else {
        const m = r.metadata as DicomJson;
        json = {};
        for (const t of INSTANCE_FIELDS) if (m[t]) json[t] = m[t];
        if (qq.includeAll) Object.assign(json, m);
        for (const t of qq.includeFields) if (m[t]) json[t] = m[t];
        json['00080056'] = { vr: 'CS', Value: ['ONLINE'] };
        json['00081190'] = { vr: 'UR', Value: [`${studyUrl}/series/${r.series_instance_uid}/instances/${r.sop_instance_uid}`] };
      }
      out.push(deid ? this.deidentify(json, r.organization_id, r.dicom_patient_id) : json);
    }
    // A search inside one study was audited by readStudy; a listing's other organizations' studies once, here.
    if (!scope.study) await this.access.auditSearch(actor, level, studies);
    if (!out.length) {
      res.status(204).end();
      return;
    }
    res.status(200).type('application/dicom+json').send(JSON.stringify(out));
  }

  private deidentify(json: DicomJson, organizationId: string, dicomPatientId: string | null): DicomJson {
    const key = this.ingest.deidentificationKey;
    const pseudonym = 'ANON-' + createHmac('sha256', key).update(`${organizationId}|${dicomPatientId ?? ''}`).digest('hex').slice(0, 12).toUpperCase();
    const out = deidentifyJson(json, { key, patientPseudonym: pseudonym });
    // Retrieve URLs carry UIDs too.
    const url = out.json['00081190'];
    if (url?.Value) url.Value = url.Value.map((u) => String(u).split('/').map((seg) => out.uidMap.get(seg) ?? seg).join('/'));
    return out.json;
  }

  // ---------- WADO-RS metadata ----------

  @Get('studies/:study/metadata')
  studyMetadata(@CurrentActor() actor: Actor, @Param('study') study: string, @Req() req: Request, @Res() res: Response) {
    return this.metadata(actor, { study }, req, res);
  }

  @Get('studies/:study/series/:series/metadata')
  seriesMetadata(@CurrentActor() actor: Actor, @Param('study') study: string, @Param('series') series: string, @Req() req: Request, @Res() res: Response) {
    return this.metadata(actor, { study, series }, req, res);
  }

  @Get('studies/:study/series/:series/instances/:instance/metadata')
  instanceMetadata(@CurrentActor() actor: Actor, @Param('study') study: string, @Param('series') series: string, @Param('instance') instance: string, @Req() req: Request, @Res() res: Response) {
    return this.metadata(actor, { study, series, instance }, req, res);
  }

  private async metadata(actor: Actor, where: { study: string; series?: string; instance?: string }, req: Request, res: Response) {
    const a = await this.access.readStudy(actor, where.study, 'metadata');
    const texts = await this.index.metadataText({ ...where, study: a.study.study_instance_uid });
    if (!texts.length) notFound(where.instance ? `instance ${where.instance}` : where.series ? `series ${where.series}` : 'study content');
    const host = baseUrl(req);
    if (!a.deidentify) {
      // Stored JSON text goes out as is, instance by instance: joining 50 CT instances' text
      // (670 KB) and rewriting it in one pass took 6.6 ms, more than the query. Bulk data URIs
      // are made absolute (compact text as written, or jsonb's spacing in rows stored before
      // the column became json).
      res.status(200).type('application/dicom+json');
      texts.forEach((t, i) => res.write((i ? ',' : '[') + t.replace(/("BulkDataURI": ?")\/dicom-web\//g, (_, head: string) => `${head}${host}/dicom-web/`)));
      res.end(']');
      return;
    }
    const out = texts.map((t) => {
      const json = this.deidentify(JSON.parse(t) as DicomJson, a.study.organization_id, a.study.dicom_patient_id);
      return JSON.stringify(json).replaceAll('"BulkDataURI":"/dicom-web/', `"BulkDataURI":"${host}/dicom-web/`);
    });
    res.status(200).type('application/dicom+json').send(`[${out.join(',')}]`);
  }

  // ---------- WADO-RS instances ----------

  @Get('studies/:study')
  retrieveStudy(@CurrentActor() actor: Actor, @Param('study') study: string, @Req() req: Request, @Res() res: Response) {
    return this.retrieve(actor, { study }, req, res);
  }

  @Get('studies/:study/series/:series')
  retrieveSeries(@CurrentActor() actor: Actor, @Param('study') study: string, @Param('series') series: string, @Req() req: Request, @Res() res: Response) {
    return this.retrieve(actor, { study, series }, req, res);
  }

  @Get('studies/:study/series/:series/instances/:instance')
  retrieveInstance(@CurrentActor() actor: Actor, @Param('study') study: string, @Param('series') series: string, @Param('instance') instance: string, @Req() req: Request, @Res() res: Response) {
    return this.retrieve(actor, { study, series, instance }, req, res);
  }

  private async retrieve(actor: Actor, where: { study: string; series?: string; instance?: string }, req: Request, res: Response) {
    const type = wantsType(req, 'application/dicom');
    if (type !== 'application/dicom' && type !== '*/*') {
      throw new DomainError('not_acceptable', HttpStatus.NOT_ACCEPTABLE, `instances are served as multipart/related; type="application/dicom", not ${type}`);
    }
    const a = await this.access.readStudy(actor, where.study, 'instances');
    const rows = await this.index.instances({ ...where, study: a.study.study_instance_uid });
    if (!rows.length) notFound('instances');
    const key = this.ingest.deidentificationKey;
    const pseudonym = 'ANON-' + createHmac('sha256', key).update(`${a.study.organization_id}|${a.study.dicom_patient_id ?? ''}`).digest('hex').slice(0, 12).toUpperCase();
    const store = this.store;
    await sendMultipart(res, 'application/dicom', {
      async *[Symbol.asyncIterator]() {
        for (const r of rows) {
          const bytes = await store.read(r.content_sha256);
          yield {
            contentType: `application/dicom; transfer-syntax=${r.transfer_syntax_uid}`,
            body: a.deidentify ? deidentifyPart10(bytes, { key, patientPseudonym: pseudonym }) : bytes,
          };
        }
      },
    });
  }

  // ---------- WADO-RS frames and bulk data ----------

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
    if (!list.length || list.some((f) => !Number.isInteger(f) || f < 1)) throw new DomainError('bad_frame', HttpStatus.BAD_REQUEST, 'frames are numbered from 1, comma-separated');
    const { row } = await this.instanceFor(actor, study, series, instance, 'frames');
    await this.sendFrames(row, list, req, res);
  }

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
      return this.sendFrames(row, Array.from({ length: n }, (_, i) => i + 1), req, res);
    }
    const m = /^(\d+)-(\d+)$/.exec(spec);
    if (!m || Number(m[1]) + Number(m[2]) > Number(row.size_bytes)) notFound(`bulk data ${spec}`);
    if (access.deidentify) throw new DomainError('deidentified', HttpStatus.FORBIDDEN, 'bulk data other than pixel data is not part of the de-identified copy');
    const body = await this.store.readRanges(row.content_sha256, [[Number(m[1]), Number(m[2])]]);
    await sendMultipart(res, 'application/octet-stream', (async function* () {
      yield { contentType: 'application/octet-stream', body };
    })());
  }

  private async instanceFor(actor: Actor, study: string, series: string, instance: string, what: string): Promise<{ row: InstanceRow; access: StudyAccess }> {
    const access = await this.access.readStudy(actor, study, what, true);
    const [row] = await this.index.instances({ study: access.study.study_instance_uid, series, instance });
    if (!row) notFound(`instance ${instance}`);
    if (access.deidentify && row.burned_in_annotation) {
      throw new DomainError('burned_in_annotation', HttpStatus.FORBIDDEN, 'this image has identifying text burned into its pixels and cannot be shared de-identified');
    }
    return { row, access };
  }

  private async frameBytes(row: InstanceRow, frame: number): Promise<Buffer> {
    const layout = row.pixel_layout;
    if (!layout) notFound('pixel data');
    if (frame > layout.frames.length) notFound(`frame ${frame} (the instance has ${layout.frames.length})`);
    let body: Buffer;
    if (layout.inflated) {
      const parsed = parseInstance(await this.store.read(row.content_sha256));
      const ranges = parsed.pixel!.frames[frame - 1];
      body = Buffer.concat(ranges.map(([o, l]) => Buffer.from(parsed.byteArray.subarray(o, o + l))));
    } else {
      body = await this.store.readRanges(row.content_sha256, layout.frames[frame - 1]);
    }
    if (layout.bigEndian && !layout.encapsulated) body = swap16IfNeeded(body, row);
    return body;
  }

  private async sendFrames(row: InstanceRow, list: number[], req: Request, res: Response) {
    const ts = row.transfer_syntax_uid;
    const native = !isEncapsulated(ts);
    const servedTs = native ? TS.explicitLittle : ts;
    const wanted = wantsType(req, 'application/octet-stream');
    const media = native ? 'application/octet-stream' : frameMediaType(ts);
    if (wanted !== '*/*' && wanted !== 'application/octet-stream' && wanted !== media) {
      throw new DomainError('not_acceptable', HttpStatus.NOT_ACCEPTABLE, `frames of this instance are stored as ${media} (transfer syntax ${ts}); ${wanted} would need transcoding`);
    }
    const partType = wanted === media && !native ? media : 'application/octet-stream';
    const frameBytes = (f: number) => this.frameBytes(row, f);
    await sendMultipart(res, partType, (async function* () {
      for (const f of list) yield { contentType: `${partType}; transfer-syntax=${servedTs}`, body: await frameBytes(f) };
    })());
  }

  // ---------- rendered and thumbnails ----------

  @Get('studies/:study/series/:series/instances/:instance/rendered')
  renderedInstance(@CurrentActor() actor: Actor, @Param('study') study: string, @Param('series') series: string, @Param('instance') instance: string, @Query() q: Q, @Req() req: Request, @Res() res: Response) {
    return this.rendered(actor, study, series, instance, 1, q, req, res, false);
  }

  @Get('studies/:study/series/:series/instances/:instance/frames/:frame/rendered')
  renderedFrame(
    @CurrentActor() actor: Actor,
    @Param('study') study: string,
    @Param('series') series: string,
    @Param('instance') instance: string,
    @Param('frame') frame: string,
    @Query() q: Q,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const n = Number(frame);
    if (!Number.isInteger(n) || n < 1) throw new DomainError('bad_frame', HttpStatus.BAD_REQUEST, 'frames are numbered from 1');
    return this.rendered(actor, study, series, instance, n, q, req, res, false);
  }

  @Get('studies/:study/series/:series/instances/:instance/thumbnail')
  instanceThumbnail(@CurrentActor() actor: Actor, @Param('study') study: string, @Param('series') series: string, @Param('instance') instance: string, @Query() q: Q, @Req() req: Request, @Res() res: Response) {
    return this.rendered(actor, study, series, instance, 1, q, req, res, true);
  }

  @Get('studies/:study/series/:series/instances/:instance/frames/:frame/thumbnail')
  frameThumbnail(
    @CurrentActor() actor: Actor,
    @Param('study') study: string,
    @Param('series') series: string,
    @Param('instance') instance: string,
    @Param('frame') frame: string,
    @Query() q: Q,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    return this.rendered(actor, study, series, instance, Number(frame) || 1, q, req, res, true);
  }

  @Get('studies/:study/series/:series/thumbnail')
  async seriesThumbnail(@CurrentActor() actor: Actor, @Param('study') study: string, @Param('series') series: string, @Query() q: Q, @Req() req: Request, @Res() res: Response) {
    const a = await this.access.readStudy(actor, study, 'thumbnail', true);
    const rows = (await this.index.instances({ study: a.study.study_instance_uid, series })).filter((r) => r.pixel_layout);
    if (!rows.length) notFound('an image in this series');
    const mid = rows[Math.floor(rows.length / 2)];
    return this.rendered(actor, study, mid.series_instance_uid, mid.sop_instance_uid, 1, q, req, res, true);
  }

  @Get('studies/:study/thumbnail')
  async studyThumbnail(@CurrentActor() actor: Actor, @Param('study') study: string, @Query() q: Q, @Req() req: Request, @Res() res: Response) {
    const a = await this.access.readStudy(actor, study, 'thumbnail', true);
    const rows = (await this.index.instances({ study: a.study.study_instance_uid })).filter((r) => r.pixel_layout);
    if (!rows.length) notFound('an image in this study');
    const first = rows.filter((r) => r.series_instance_uid === rows[0].series_instance_uid);
    const mid = first[Math.floor(first.length / 2)];
    return this.rendered(actor, study, mid.series_instance_uid, mid.sop_instance_uid, 1, q, req, res, true);
  }

  private async rendered(actor: Actor, study: string, series: string, instance: string, frame: number, q: Q, req: Request, res: Response, thumbnail: boolean) {
    const accept = String(q.accept ?? req.headers.accept ?? '');
    const format: RenderRequest['format'] = /image\/png/i.test(accept) && !/image\/jpeg[^,]*q=1\b/.test(accept) && !(/image\/jpeg/i.test(accept) && accept.indexOf('image/jpeg') < accept.indexOf('image/png')) ? 'image/png' : 'image/jpeg';
    if (accept && !/image\/(png|jpeg)|image\/\*|\*\/\*/i.test(accept)) {
      throw new DomainError('not_acceptable', HttpStatus.NOT_ACCEPTABLE, 'rendered images are image/jpeg or image/png');
    }
    const r: RenderRequest = { frame: frame - 1, format };
    if (q.window !== undefined) {
      const [c, w] = String(q.window).split(',').map(Number);
      if (!Number.isFinite(c) || !Number.isFinite(w) || w <= 0) throw new DomainError('bad_window', HttpStatus.BAD_REQUEST, 'window is center,width[,function] with width > 0');
      r.window = { center: c, width: w };
    }
    const vp = q.viewport ?? (thumbnail ? '128,128' : undefined);
    if (vp !== undefined) {
      const [w, h] = String(vp).split(',').map(Number);
      if (!Number.isInteger(w) || w < 1 || w > 4096 || !(Number.isInteger(h) ? h >= 1 && h <= 4096 : Number.isNaN(h))) {
        throw new DomainError('bad_viewport', HttpStatus.BAD_REQUEST, 'viewport is width,height in pixels (1-4096)');
      }
      r.viewport = { width: w, height: Number.isInteger(h) ? h : w };
    }
    if (q.quality !== undefined) r.quality = Math.min(100, Math.max(1, Number(q.quality) || 90));
    const { row } = await this.instanceFor(actor, study, series, instance, thumbnail ? 'thumbnail' : 'rendered');
    if (!row.pixel_layout) notFound('pixel data');
    const img = await this.render.render(row.content_sha256, () => this.store.read(row.content_sha256), r);
    res.status(200).type(format).setHeader('Cache-Control', 'private, max-age=300');
    res.send(img);
  }
}

const INSTANCE_FIELDS = ['00080016', '00080018', '00080060', '0020000D', '0020000E', '00200013', '00280010', '00280011', '00280008', '00280100', '00083002'];

function pickStudy(json: DicomJson): DicomJson {
  const out: DicomJson = {};
  for (const t of ['00080020', '00080030', '00080050', '00100010', '00100020', '0020000D']) if (json[t]) out[t] = json[t];
  return out;
}

function bad(): never {
  throw new DomainError('bad_query', HttpStatus.BAD_REQUEST, 'series attributes cannot be matched at study level');
}

function swap16IfNeeded(body: Buffer, row: InstanceRow): Buffer {
  // Explicit VR Big Endian frames are served little endian (transfer-syntax 1.2.840.10008.1.2.1).
  const bits = row.pixel_layout?.bitsAllocated ?? 8;
  const out = Buffer.from(body);
  if (bits === 16 && out.length % 2 === 0) out.swap16();
  if (bits === 32 && out.length % 4 === 0) out.swap32();
  return out;
}
