import { Injectable } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import type { EventName } from '@huizhen/contract';

export const userRoom = (practitionerId: string) => `user:${practitionerId}`;
export const organizationRoom = (organizationId: string) => `org:${organizationId}`;

/**
 * An event as clients receive it on /events (the contract's PlatformEvent). `type` says what
 * changed, one of the contract's EVENT_NAMES: a name not in the catalogue does not compile; `data`
 * carries ids, never more PHI than the receiver may see.
 */
export interface PlatformEvent {
  type: EventName;
  data: Record<string, unknown>;
  at?: string;
}

/**
 * What features call to notify people. Target users (or whole organizations) that the
 * access policy already allows to see the resource; the gateway adds no check of its own.
 */
@Injectable()
export class EventsService {
  private namespace: (() => Namespace | undefined) | null = null;

  bind(ns: () => Namespace | undefined) {
    this.namespace = ns;
  }

  toUsers(practitionerIds: string[], event: PlatformEvent): void {
    this.emit(practitionerIds.map(userRoom), event);
  }

  toOrganizations(organizationIds: string[], event: PlatformEvent): void {
    this.emit(organizationIds.map(organizationRoom), event);
  }

  private emit(rooms: string[], event: PlatformEvent) {
    const ns = this.namespace?.();
    if (!ns || !rooms.length) return;
    ns.to([...new Set(rooms)]).emit('event', {
      ...event,
      at: event.at ?? new Date().toISOString(),
    });
  }
}
