import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createHash } from 'node:crypto';
import { CALL_EVENT_KINDS, type CallEvent, CallEvents } from '@huizhen/call-events';
import { EventsService } from '../events/events.service';
import type {
  CallParticipant as ContractCallParticipant,
  CallRecord as ContractCallRecord,
} from '@huizhen/contract';
import { ConsultationStore, type StoredCallEvent } from './consultation-store';

export type { StoredCallEvent } from './consultation-store';

/** One person's part in a call: the contract's, with the role as the room token names it. */
export interface CallParticipant extends ContractCallParticipant {
  role: CallEvent['role'];
}

/** One video call of the consultation, as the contract spells it. */
export interface CallRecord extends ContractCallRecord {
  participants: CallParticipant[];
}

/** No room token lives longer: a call silent for this long ended without the media node saying so. */
const SILENT_CALL_MS = 24 * 3600 * 1000;

/**
 * Calls from the room's events in order: a call starts with the first join into an empty room
 * and ends when the last one present leaves or the host ends the room. Events that do not fit
 * (a leave without a join, a second join of someone present) are ignored. A participant whose
 * media never flowed (media_failed, not followed by media_flowing or a fresh join) makes the
 * call's outcome 'failed'.
 */
export function callRecords(events: StoredCallEvent[], now: Date): CallRecord[] {
  const calls: CallRecord[] = [];
  let call: {
    record: CallRecord;
    people: Map<string, CallParticipant>;
    since: Map<string, Date>;
    started: Date;
    last: Date;
  } | null = null;
  const close = (at: Date, ending: CallRecord['ending'], by: string | null) => {
    if (!call) return;
    for (const [id, since] of call.since) {
      const p = call.people.get(id)!;
      p.seconds += (at.getTime() - since.getTime()) / 1000;
      p.lastLeftAt = at.toISOString();
    }
    call.since.clear();
    Object.assign(call.record, {
      endedAt: at.toISOString(),
      ending,
      endedBy: by,
      seconds: (at.getTime() - call.started.getTime()) / 1000,
    });
    call = null;
  };
  for (const e of events) {
    if (call && e.at.getTime() - call.last.getTime() > SILENT_CALL_MS)
      close(call.last, 'unknown', null);
    if (e.kind === 'joined') {
      if (!call) {
        const record: CallRecord = {
          startedAt: e.at.toISOString(),
          endedAt: null,
          ending: 'in_progress',
          endedBy: null,
          seconds: 0,
          outcome: 'ok',
          participants: [],
        };
        calls.push(record);
        call = { record, people: new Map(), since: new Map(), started: e.at, last: e.at };
      }
      call.last = e.at;
      if (call.since.has(e.practitionerId)) continue;
      call.since.set(e.practitionerId, e.at);
      let p = call.people.get(e.practitionerId);
      if (!p) {
        p = {
          practitionerId: e.practitionerId,
          displayName: e.displayName,
          role: e.role,
          firstJoinedAt: e.at.toISOString(),
          lastLeftAt: null,
          seconds: 0,
          present: false,
          mediaFailed: false,
        };
        call.people.set(e.practitionerId, p);
        call.record.participants.push(p);
      }
      p.lastLeftAt = null;
      // A fresh peer (a reload, a rejoin) gets a fresh verdict on its media.
      p.mediaFailed = false;
    } else if (e.kind === 'media_failed' || e.kind === 'media_flowing') {
      if (!call || !call.since.has(e.practitionerId)) continue;
      call.last = e.at;
      call.people.get(e.practitionerId)!.mediaFailed = e.kind === 'media_failed';
    } else if (e.kind === 'left' || e.kind === 'lost') {
      const since = call?.since.get(e.practitionerId);
      if (!call || !since) continue;
      call.last = e.at;
      const p = call.people.get(e.practitionerId)!;
      p.seconds += (e.at.getTime() - since.getTime()) / 1000;
      p.lastLeftAt = e.at.toISOString();
      call.since.delete(e.practitionerId);
      if (!call.since.size)
        close(e.at, e.kind === 'lost' ? 'media_node_lost' : 'everyone_left', null);
    } else if (call) {
      close(e.at, 'ended_by_host', e.practitionerId);
    }
  }
  const open = call as typeof call | null;
  if (open) {
    if (now.getTime() - open.last.getTime() > SILENT_CALL_MS) {
      close(open.last, 'unknown', null);
    } else {
      for (const [id, since] of open.since) {
        const p = open.people.get(id)!;
        p.present = true;
        p.seconds += Math.max(0, now.getTime() - since.getTime()) / 1000;
      }
      open.record.seconds = Math.max(0, now.getTime() - open.started.getTime()) / 1000;
    }
  }
  for (const c of calls) {
    c.outcome = c.participants.some((p) => p.mediaFailed) ? 'failed' : 'ok';
    c.seconds = Math.round(c.seconds);
    for (const p of c.participants) p.seconds = Math.round(p.seconds);
  }
  return calls;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A name-based UUID (version 5 layout over SHA-1): the same name gives the same event id on every api node. */
function eventIdFrom(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The video record of consultations: call events from the media nodes (CallEvents) stored per
 * consultation, and read back as calls. Rooms that are no consultation of this database, and
 * subjects that are no practitioner, are not recorded.
 */
@Injectable()
export class ConsultationCalls implements OnApplicationBootstrap, OnApplicationShutdown {
  /** A media node silent this long (no heartbeat, no event) has stopped: the people in its rooms are gone. */
  static NODE_SILENT_MS = 60_000;
  /** How often the api looks for calls on media nodes that stopped. */
  static SWEEP_MS = 30_000;
  private readonly logger = new Logger('ConsultationCalls');
  private readonly listeners: ((events: CallEvent[]) => Promise<void>)[] = [];
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: ConsultationStore,
    private readonly callEvents: CallEvents,
    private readonly events: EventsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.callEvents.consume((batch) => this.record(batch));
    this.sweeper = setInterval(
      () =>
        void this.closeLostCalls().catch((e) =>
          this.logger.warn({
            msg: 'looking for calls on stopped media nodes failed',
            error: e instanceof Error ? e.message : String(e),
          }),
        ),
      ConsultationCalls.SWEEP_MS,
    );
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  /**
   * People still in a call (their last join not followed by a leave, or by the room's end) on a
   * media node that has stopped reporting: recorded as `lost` at the node's last sign of life (its
   * heartbeat, or its last event in that room), so the call ends instead of running on for a day.
   * Every api node may do this at once: a lost event's id comes from the join it closes, so it is
   * stored once. Returns how many it recorded.
   */
  async closeLostCalls(now = new Date()): Promise<number> {
    const present = await this.store.presentInCalls(new Date(now.getTime() - SILENT_CALL_MS));
    if (!present.length) return 0;
    const nodes = await this.callEvents.liveMediaNodes();
    const lost: CallEvent[] = [];
    for (const p of present) {
      const last = Math.max(nodes.get(p.mediaNode) ?? 0, new Date(p.nodeLast).getTime());
      if (now.getTime() - last <= ConsultationCalls.NODE_SILENT_MS) continue;
      lost.push({
        id: eventIdFrom(`lost ${p.eventId}`),
        kind: 'lost',
        room: p.consultationId,
        practitionerId: p.practitionerId,
        role: p.role,
        at: new Date(last).toISOString(),
        node: p.mediaNode,
      });
    }
    if (!lost.length) return 0;
    this.logger.warn({
      msg: 'media node stopped with people in its rooms; their calls are closed',
      nodes: [...new Set(lost.map((e) => e.node))],
      people: lost.length,
    });
    return this.record(lost);
  }

  /**
   * Called after a batch is stored, with its events of the consultations it added to (an event
   * can come twice, in a redelivered batch beside new ones: a listener must not mind). Its failure
   * is logged; the events stay stored.
   */
  onRecorded(listener: (events: CallEvent[]) => Promise<void>): void {
    this.listeners.push(listener);
  }

  /** Stores events (each once); returns how many were new. */
  async record(events: CallEvent[]): Promise<number> {
    const valid = events.filter(
      (e) =>
        UUID.test(e.room) &&
        UUID.test(e.practitionerId) &&
        CALL_EVENT_KINDS.includes(e.kind) &&
        !Number.isNaN(Date.parse(e.at)),
    );
    if (!valid.length) return 0;
    const rows = await this.store.recordCallEvents(valid);
    // Open consultation pages refresh their video record.
    for (const r of rows) {
      const event = {
        type: 'consultation.call' as const,
        data: { consultationId: r.consultationId },
      };
      this.events.toUsers(r.participantIds, event);
      this.events.toOrganizations([r.requestingOrganizationId], event);
    }
    const n = rows.reduce((sum, r) => sum + r.recorded, 0);
    const ofConsultations = new Set(rows.map((r) => r.consultationId));
    const known = valid.filter((e) => ofConsultations.has(e.room));
    for (const listener of this.listeners) {
      await listener(known).catch((e) =>
        this.logger.error({
          msg: 'a call event listener failed',
          error: e instanceof Error ? e.message : String(e),
        }),
      );
    }
    if (n < valid.length)
      this.logger.debug({
        msg: 'call events not recorded (redelivered, or no such consultation or practitioner)',
        received: events.length,
        recorded: n,
      });
    return n;
  }

  /**
   * Video volume per institution (the requesting township and the reading hospital both count a
   * call): calls that started in [from, to) on consultations of `organizationIds`, and their length.
   */
  async videoFigures(
    organizationIds: string[],
    from: Date,
    to: Date,
  ): Promise<Map<string, { calls: number; seconds: number }>> {
    const rows = await this.store.callEventsOfOrganizations(organizationIds, from, to);
    const out = new Map<string, { calls: number; seconds: number }>();
    const inScope = new Set(organizationIds);
    for (let i = 0; i < rows.length;) {
      let j = i;
      while (j < rows.length && rows[j].consultationId === rows[i].consultationId) j++;
      const calls = callRecords(rows.slice(i, j), to).filter(
        (c) => Date.parse(c.startedAt) >= from.getTime() && Date.parse(c.startedAt) < to.getTime(),
      );
      for (const org of new Set(rows[i].organizationIds)) {
        if (!org || !inScope.has(org) || !calls.length) continue;
        const f = out.get(org) ?? { calls: 0, seconds: 0 };
        f.calls += calls.length;
        f.seconds += calls.reduce((n, c) => n + c.seconds, 0);
        out.set(org, f);
      }
      i = j;
    }
    return out;
  }

  /** A consultation's calls, oldest first. The caller has checked that the reader may see the consultation. */
  async callsOf(consultationId: string, now: Date): Promise<CallRecord[]> {
    const rows = await this.store.callEvents(consultationId);
    return callRecords(rows, now);
  }
}
