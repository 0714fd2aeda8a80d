import type { WebSocket } from 'ws';
import type { Filter } from '@athena/query';
import type { KeyCandidate } from '@athena/auth';
import type { Principal } from '@athena/common';

/** One live subscription: a (client, table) with its parsed conditions and the principal that subscribed. */
export interface Subscription {
  id: string;
  conn: Connection;
  client: string;
  table: string;
  filters: Filter[];
  /** The right delivery re-checks (`<table>.read`, or `gateway.read` for schema.table). */
  right: string;
  principal: Principal;
  createdAt: number;
  events: number;
}

/** Per-connection state and counters (the connection registry's entries). */
export interface Connection {
  readonly id: string;
  readonly socket: WebSocket;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly host: string | null;
  /** Credentials presented at the upgrade (headers or, deprecated, query string). */
  readonly candidates: KeyCandidate[];
  /** Public id of the key presented at the upgrade (per-key connection limit), null when none. */
  readonly keyId: string | null;
  readonly openedAt: number;
  lastFrameAt: number;
  alive: boolean;
  closing: boolean;
  paused: boolean;
  inFlight: number;
  framesIn: number;
  framesOut: number;
  eventsOut: number;
  errors: number;
  bytesOut: number;
  subs: Map<string, Subscription>;
}
