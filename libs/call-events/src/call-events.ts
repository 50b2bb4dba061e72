import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { createClient } from 'redis';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import type { RoomRole } from '@huizhen/room-token';

/**
 * What happened in a consultation's live room, as the media node saw it; `lost`: the api's
 * finding that the media node holding someone's connection stopped reporting (it was killed or
 * cut off), so they are counted as gone from the node's last sign of life. `media_failed`: a
 * participant was in the room for MediaRoomsService.NO_MEDIA_MS (10 s) and no RTP moved between
 * them and the node (blocked ICE, a firewall, an unreachable announced address);
 * `media_flowing`: it moved after all, after a media_failed.
 */
export type CallEventKind = 'joined' | 'left' | 'ended' | 'lost' | 'media_failed' | 'media_flowing';
export const CALL_EVENT_KINDS: readonly CallEventKind[] = [
  'joined',
  'left',
  'ended',
  'lost',
  'media_failed',
  'media_flowing',
];

export interface CallEvent {
  /** Unique per event: a redelivered event is recorded once. */
  id: string;
  kind: CallEventKind;
  /** The media room: a consultation id for rooms the api issued tokens for. */
  room: string;
  /** The room token's subject: who joined or left (for `ended`, the host who ended the room). */
  practitionerId: string;
  /** The room role the token gave (host, township_doctor, guest_specialist...). */
  role: RoomRole;
  /** ISO time on the media node. */
  at: string;
  /** The media node (host name and pid), for operators reading the record. */
  node: string;
}

export type CallEventHandler = (events: CallEvent[]) => Promise<unknown>;

export const NODE = `${os.hostname()}:${process.pid}`;
const CONSUMER_GROUP = 'api';
const READ_BLOCK_MS = 2000;
const READ_COUNT = 100;
/** The stream keeps about this many events: enough for any api outage of hours, bounded. */
const STREAM_MAX = 100_000;
/** In process (no Redis), tries to store an event this many times before logging it lost. */
const LOCAL_ATTEMPTS = 5;

type StreamMessage = { id: string; message: Record<string, string> } | null;

/**
 * From media nodes to the api: who joined and left a consultation's room, and when the host
 * ended it. With REDIS_URL, a Redis stream read by the api nodes as one consumer group: an event
 * is handled by one api node and acknowledged once stored; what a node took and never
 * acknowledged (it died) is claimed by a live one after CLAIM_IDLE_MS. Without REDIS_URL, in this
 * process (the single-process server). Publishing never throws and never waits on the api.
 */
@Injectable()
export class CallEvents implements OnModuleInit, OnApplicationShutdown {
  /** An event taken but not acknowledged for this long belongs to a dead reader. */
  static CLAIM_IDLE_MS = 60_000;
  /** In process: the first wait before storing an event again (doubling each time). */
  static RETRY_BASE_MS = 500;
  /** A media node says it is alive this often (with Redis: in the `<stream>:nodes` hash). */
  static HEARTBEAT_MS = 10_000;
  private readonly logger = new Logger('CallEvents');
  private handler: CallEventHandler | null = null;
  private local: Promise<unknown> = Promise.resolve();
  private writer: ReturnType<typeof createClient> | null = null;
  private reader: ReturnType<typeof createClient> | null = null;
  private reading: Promise<void> | null = null;
  private stopped = false;
  private warnedUndelivered = false;
  private readonly consumer = `${NODE}:${randomUUID().slice(0, 8)}`;
  private heartbeat: NodeJS.Timeout | null = null;
  private mediaNode = false;

  constructor(@Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig) {}

  get stream(): string {
    return this.config.callEventsStream;
  }

  async onModuleInit(): Promise<void> {
    if (!this.config.redisUrl) return;
    this.writer = createClient({ url: this.config.redisUrl });
    this.writer.on('error', (e: Error) => this.logger.warn(`redis: ${e.message}`));
    await this.writer.connect();
  }

  /** Where media nodes say they are alive: node -> last time (ms since the epoch). */
  get nodesKey(): string {
    return `${this.stream}:nodes`;
  }

  /**
   * This process is a media node: with Redis it says so every HEARTBEAT_MS until it stops, so
   * that the api can tell a node that died with people in its rooms (see liveMediaNodes).
   */
  async announceMediaNode(): Promise<void> {
    this.mediaNode = true;
    if (!this.writer || this.heartbeat) return;
    const beat = () =>
      this.writer
        ?.hSet(this.nodesKey, NODE, String(Date.now()))
        .then(() => undefined)
        .catch((e: Error) =>
          this.logger.warn({ msg: 'media node heartbeat failed', error: e.message }),
        );
    await beat();
    this.heartbeat = setInterval(() => void beat(), CallEvents.HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /**
   * The media nodes known and when each last said it was alive. Without Redis there is one media
   * node, this process (if it is one): every other node named in stored events is gone.
   */
  async liveMediaNodes(): Promise<Map<string, number>> {
    if (!this.writer) return new Map(this.mediaNode ? [[NODE, Date.now()]] : []);
    const all = await this.writer.hGetAll(this.nodesKey);
    return new Map(Object.entries(all).map(([node, at]) => [node, Number(at)]));
  }

  /** Records an event of this media node. */
  publish(e: Omit<CallEvent, 'id' | 'at' | 'node'> & { at?: Date }): void {
    const event: CallEvent = {
      id: randomUUID(),
      kind: e.kind,
      room: e.room,
      practitionerId: e.practitionerId,
      role: e.role,
      at: (e.at ?? new Date()).toISOString(),
      node: NODE,
    };
    if (this.writer) {
      this.writer
        .xAdd(
          this.stream,
          '*',
          { event: JSON.stringify(event) },
          { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: STREAM_MAX } },
        )
        .catch((err: Error) =>
          this.logger.error({
            msg: 'a call event could not be sent',
            kind: event.kind,
            room: event.room,
            error: err.message,
          }),
        );
      return;
    }
    if (!this.handler) {
      if (!this.warnedUndelivered)
        this.logger.warn(
          'call events have no recipient: set REDIS_URL on media and api nodes run apart',
        );
      this.warnedUndelivered = true;
      return;
    }
    const handler = this.handler;
    // In order, one at a time, as the stream reader does; a database hiccup is waited out (about 15 s).
    this.local = this.local.then(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await handler([event]);
          return;
        } catch (err) {
          if (attempt >= LOCAL_ATTEMPTS || this.stopped) {
            this.logger.error({
              msg: 'recording a call event failed',
              kind: event.kind,
              room: event.room,
              error: err instanceof Error ? err.message : String(err),
            });
            return;
          }
          await new Promise((r) => setTimeout(r, CallEvents.RETRY_BASE_MS * 2 ** attempt));
        }
      }
    });
  }

  /** The api's recipient. Events are acknowledged only after `handler` resolved. */
  async consume(handler: CallEventHandler): Promise<void> {
    this.handler = handler;
    if (!this.config.redisUrl || this.reading) return;
    this.reader = createClient({ url: this.config.redisUrl });
    this.reader.on('error', (e: Error) => this.logger.warn(`redis: ${e.message}`));
    await this.reader.connect();
    await this.reader
      .xGroupCreate(this.stream, CONSUMER_GROUP, '0', { MKSTREAM: true })
      .catch((e: Error) => {
        if (!/BUSYGROUP/.test(e.message)) throw e;
      });
    this.reading = this.readLoop();
  }

  /** Resolves once every event published in this process so far has been handled (tests, shutdown). */
  async drained(): Promise<void> {
    await this.local;
  }

  private async readLoop(): Promise<void> {
    // First what this consumer was given and did not acknowledge (none for a fresh name), then new events.
    let from = '0';
    let claimedAt = 0;
    while (!this.stopped && this.reader) {
      try {
        if (Date.now() - claimedAt >= CallEvents.CLAIM_IDLE_MS / 2) {
          claimedAt = Date.now();
          await this.claimAbandoned();
        }
        const reply = (await this.reader.xReadGroup(
          CONSUMER_GROUP,
          this.consumer,
          { key: this.stream, id: from },
          { COUNT: READ_COUNT, BLOCK: READ_BLOCK_MS },
        )) as { messages: StreamMessage[] }[] | null;
        const messages = reply?.[0]?.messages ?? [];
        if (from === '0' && messages.length === 0) from = '>';
        await this.handle(messages);
      } catch (e) {
        if (this.stopped) return;
        this.logger.error({
          msg: 'reading call events failed; retrying',
          error: e instanceof Error ? e.message : String(e),
        });
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** Takes over events other readers took and never acknowledged (they died). */
  private async claimAbandoned(): Promise<void> {
    let start = '0-0';
    do {
      const r = (await this.reader!.xAutoClaim(
        this.stream,
        CONSUMER_GROUP,
        this.consumer,
        CallEvents.CLAIM_IDLE_MS,
        start,
        { COUNT: READ_COUNT },
      )) as { nextId: string; messages: StreamMessage[] };
      await this.handle(r.messages);
      start = r.nextId;
    } while (start !== '0-0' && !this.stopped);
  }

  /** Stores a batch, then acknowledges it (an unreadable event is acknowledged and dropped). */
  private async handle(messages: StreamMessage[]): Promise<void> {
    const taken = messages.filter((m): m is NonNullable<StreamMessage> => !!m);
    if (!taken.length || !this.handler) return;
    const events: CallEvent[] = [];
    for (const m of taken) {
      try {
        events.push(JSON.parse(m.message.event) as CallEvent);
      } catch {
        this.logger.warn({ msg: 'dropped an unreadable call event', id: m.id });
      }
    }
    if (events.length) await this.handler(events);
    await this.reader!.xAck(
      this.stream,
      CONSUMER_GROUP,
      taken.map((m) => m.id),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    // A node that stops cleanly has said who left; it is no longer a node to watch.
    if (this.heartbeat && this.writer)
      await this.writer.hDel(this.nodesKey, NODE).catch(() => undefined);
    this.heartbeat = null;
    await this.local;
    const { reader, writer } = this;
    this.reader = null;
    this.writer = null;
    if (reader) {
      // A blocked read ends with the connection; a batch it was storing is claimed by another reader later.
      reader.destroy();
      await this.reading?.catch(() => undefined);
    }
    if (writer) {
      // Leave the group if nothing taken is left unacknowledged (else a live reader claims it under this name).
      if (this.reading) {
        await writer
          .xPending(this.stream, CONSUMER_GROUP)
          .then(async (p: { consumers?: { name: string }[] | null }) => {
            if (!p.consumers?.some((c) => c.name === this.consumer))
              await writer.xGroupDelConsumer(this.stream, CONSUMER_GROUP, this.consumer);
          })
          .catch(() => undefined);
      }
      await writer.quit().catch(() => writer.destroy());
    }
  }
}
