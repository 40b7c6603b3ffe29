/**
 * One NATS connection per host, shared by the JetStream stores (state, artifacts, invocations,
 * nodes). It reconnects for ever; while it is down, writes fail at once with 503
 * EDGE_ERR_STORE_UNAVAILABLE (instead of waiting out a request timeout) and reads are served from
 * what each store last mirrored. Credentials come from the environment (NATS_TOKEN, or NATS_USER
 * and NATS_PASSWORD), never from the config file.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { EdgeError } from '../../core/errors.ts';

export interface NatsLink {
  nc: NatsConnection;
  /** True while the connection is up. */
  readonly connected: boolean;
  /** Throws 503 EDGE_ERR_STORE_UNAVAILABLE unless connected. */
  requireUp(what: string): void;
  /** Told on every disconnect and reconnect. */
  onChange(listener: (connected: boolean) => void): () => void;
  close(): Promise<void>;
}

export interface NatsLinkOptions {
  servers: string[];
  /** Shown in the server's connection list (`nats server report connections`). */
  name: string;
  env?: Record<string, string | undefined>;
  /** Keeps trying to make the first connection for this long (a node started while NATS is down waits). */
  connectWaitMs?: number;
  onWaiting?: (err: unknown) => void;
}

/** Connects, retrying the first connection until `connectWaitMs` (default: for ever). */
export async function openNatsLink(o: NatsLinkOptions): Promise<NatsLink> {
  const env = o.env ?? process.env;
  const auth = env.NATS_TOKEN ? { token: env.NATS_TOKEN } : env.NATS_USER ? { user: env.NATS_USER, pass: env.NATS_PASSWORD ?? '' } : {};
  const deadline = o.connectWaitMs === undefined ? Infinity : Date.now() + o.connectWaitMs;
  let nc: NatsConnection | undefined;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    try {
      nc = await connect({ servers: o.servers, name: o.name, maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: 2000, ...auth });
      break;
    } catch (e) {
      if (Date.now() + delay > deadline) throw new EdgeError('EDGE_ERR_STORE_UNAVAILABLE', `cannot reach NATS at ${o.servers.join(',')}: ${(e as Error).message}`, { cause: e });
      o.onWaiting?.(e);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  const conn = nc;
  let up = true;
  const listeners = new Set<(connected: boolean) => void>();
  void (async () => {
    for await (const s of conn.status()) {
      const next: boolean = s.type === 'disconnect' ? false : s.type === 'reconnect' ? true : up;
      if (next === up) continue;
      up = next;
      for (const l of listeners) l(up);
    }
  })().catch(() => {});
  return {
    nc: conn,
    get connected() { return up && !conn.isClosed(); },
    requireUp(what) {
      if (!up || conn.isClosed()) throw new EdgeError('EDGE_ERR_STORE_UNAVAILABLE', `NATS is unreachable, so ${what} cannot be stored now; nothing was changed: retry once it is back`);
    },
    onChange(l) { listeners.add(l); return () => listeners.delete(l); },
    async close() { listeners.clear(); if (!conn.isClosed()) await conn.drain().catch(() => conn.close()); },
  };
}

/** JetStream's answer to a compare-and-set whose expected revision moved on. */
export function isWrongSequence(e: unknown): boolean {
  const err = e as { api_error?: { err_code?: number }; code?: number | string; message?: string } | undefined;
  return err?.api_error?.err_code === 10071 || err?.code === 10071 || /wrong last sequence/i.test(err?.message ?? '');
}

/** A failed call to NATS as the host's error: a CAS miss passes through for the caller to handle; the rest are 503. */
export function storeUnavailable(e: unknown, what: string): unknown {
  if (e instanceof EdgeError || isWrongSequence(e)) return e;
  return new EdgeError('EDGE_ERR_STORE_UNAVAILABLE', `NATS did not take ${what}: ${(e as Error).message}; nothing was changed: retry`, { cause: e });
}

/** Bucket and stream names for one deployment (several can share a NATS cluster under different prefixes). */
export function names(prefix: string) {
  return {
    state: `${prefix}_state`,
    artifacts: `${prefix}_artifacts`,
    nodes: `${prefix}_nodes`,
    leases: `${prefix}_leases`,
    calls: `${prefix}_calls`,
    queue: `${prefix}_queue`,
    dead: `${prefix}_dead`,
  };
}
