/**
 * Opens the host's stores for `store.kind`: SQLite and the artifact directory on one node (the
 * default; nothing else to run), or NATS JetStream shared by every node of a cluster (design §8).
 * Either way the host gets the same interfaces, plus the node registry and why it is not ready.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import { FileArtifactStore, SqliteStateStore, ThreadedInvocationStore, type ArtifactStore, type InvocationStore, type StateStore, openNatsLink, NatsStateStore, NatsArtifactStore, NatsInvocationStore, type NatsLink } from '../store/index.ts';
import { LocalNodes, NatsNodes, nodeId, type NodeReport, type Nodes } from './nodes.ts';
import { SqliteNodes } from './sqlite-nodes.ts';

export interface Stores {
  kind: 'sqlite' | 'nats';
  state: StateStore;
  artifacts: ArtifactStore;
  invocations: InvocationStore;
  /**
   * Why this node should not get traffic (for /readyz), or undefined. A cluster node that lost NATS
   * stays ready: it serves the last state it applied, and taking every node out of a load balancer
   * at once because NATS is down would turn a control-plane outage into a data-plane one.
   */
  trouble(): string | undefined;
  /** Whether the store is reachable now (admin writes need it). */
  connected(): boolean;
  /** Starts the node registry once the host can describe itself. */
  nodes(report: () => NodeReport): Promise<Nodes & { applied?(seq: number): void }>;
  nodeId: string;
  close(): Promise<void>;
}

/** Retries `open` while JetStream cannot answer yet (a cluster electing its leaders, a server starting). */
async function whenJetStreamAnswers<T>(what: string, open: () => Promise<T>, waiting: (why: string) => void): Promise<T> {
  for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
    try {
      return await open();
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      if (!/timeout|temporarily unavailable|no responders|not enabled|503|closed|disconnect/i.test(msg)) throw e;
      waiting(`JetStream does not answer yet (${msg}) while opening ${what}`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

export interface OpenOptions {
  /** An open connection (main.ts opens it first, to say on /readyz that it waits); else opened here. */
  link?: NatsLink;
  /** Told while JetStream cannot answer yet. */
  onWaiting?: (why: string) => void;
  /** The wall clock of async call records (tests set it ahead). */
  wallNow?: () => number;
}

export async function openStores(config: Config, log: Logger, o: OpenOptions = {}): Promise<Stores> {
  const { link, onWaiting } = o;
  const id = nodeId(config.node.name);
  if (config.store.kind === 'sqlite') {
    // `--processes N`: N processes on one data directory, each following the others' commits.
    const shared = config.processes > 1;
    // On a thread of its own: its fsyncs never stall the gateway's event loop.
    const invocations = new ThreadedInvocationStore(config.dataDir, (err) => log.error({ err }, 'the async invocation store thread stopped; async submissions answer 503 and /readyz is not ready'), shared ? id : undefined);
    const state = new SqliteStateStore(config.dataDir, { shared });
    const artifacts = new FileArtifactStore(config.dataDir);
    try {
      await invocations.opened;
      await artifacts.sweep();
    } catch (e) {
      await state.close();
      await invocations.close().catch(() => {});
      throw e;
    }
    return {
      kind: 'sqlite', state, artifacts, invocations, nodeId: id,
      trouble: () => (invocations.failure ? `the async invocation store stopped: ${invocations.failure.message}` : undefined),
      connected: () => invocations.failure === undefined,
      nodes: async (report) => (shared ? new SqliteNodes(config.dataDir, { id, heartbeatMs: config.node.heartbeatMs, report }) : new LocalNodes(id, report)),
      async close() { await state.close(); await invocations.close(); },
    };
  }
  const n = config.store.nats;
  const own = link === undefined;
  const l = link ?? await openNatsLink({ servers: n.servers, name: `isoedge ${id}`, onWaiting: (err) => log.warn({ err: (err as Error).message, servers: n.servers }, 'waiting for NATS') });
  const opts = { prefix: n.prefix, replicas: n.replicas };
  const waiting = (why: string) => { log.warn({ servers: n.servers }, why); onWaiting?.(why); };
  try {
    const state = await whenJetStreamAnswers('the state bucket', () => NatsStateStore.open(l, { ...opts, onResync: (err) => log.warn({ err }, 'the state watch ended; rebuilding this node\'s copy from NATS') }), waiting);
    const artifacts = await whenJetStreamAnswers('the artifact store', () => NatsArtifactStore.open(l, { ...opts, dataDir: config.dataDir }), waiting);
    const invocations = await whenJetStreamAnswers('the async queue', () => NatsInvocationStore.open(l, { ...opts, ackWaitMs: n.ackWaitMs, nodeName: id, ...(o.wallNow ? { now: o.wallNow } : {}) }), waiting);
    let registry: NatsNodes | undefined;
    const unlisten = l.onChange((up) => {
      if (up) log.info({ servers: n.servers }, 'NATS is back: resuming from the last state this node applied');
      else log.warn({ servers: n.servers }, 'NATS is unreachable: serving the last state this node knew; admin writes answer 503');
      if (up) void registry?.beat();
    });
    return {
      kind: 'nats', state, artifacts, invocations, nodeId: id,
      trouble: () => undefined,
      connected: () => l.connected,
      nodes: async (report) => (registry = await NatsNodes.open(l, { prefix: n.prefix, id, heartbeatMs: config.node.heartbeatMs, replicas: n.replicas, report })),
      async close() {
        unlisten();
        await invocations.close();
        await state.close();
        if (own) await l.close();
      },
    };
  } catch (e) {
    if (own) await l.close();
    throw e;
  }
}
