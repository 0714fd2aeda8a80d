import { Injectable } from '@nestjs/common';

/** One successful write that went through GatewayService (transport-free). */
export interface WriteEvent {
  operation: 'insert' | 'update' | 'delete';
  /** The resolved client name (catalog name). */
  client: string;
  /** `table` or `schema.table`, as the logs record it. */
  table: string;
  /** The affected rows (`RETURNING *`). */
  rows: Record<string, unknown>[];
  /** Request id of the write (correlates an event with its request log row). */
  requestId: string;
  /** Epoch milliseconds when the write completed. */
  at: number;
}

export type WriteListener = (e: WriteEvent) => void;

/**
 * Fan-out of successful writes to whoever listens (the realtime event bus). GatewayService calls `emit` after
 * a write committed; with no listener it costs one length check. Listeners must not throw or block.
 */
@Injectable()
export class WriteEvents {
  private listeners: WriteListener[] = [];

  listen(fn: WriteListener): () => void {
    this.listeners = [...this.listeners, fn];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  get active(): boolean {
    return this.listeners.length > 0;
  }

  emit(e: WriteEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a listener's failure never fails the write */
      }
    }
  }
}
