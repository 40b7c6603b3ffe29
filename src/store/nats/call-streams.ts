/**
 * What the invocation store keeps on the server, opened (created when missing) by every node the
 * same way: the calls bucket, the queue's work-queue stream and its one shared pull consumer, and
 * the dead-letter stream. Nodes may start together: whoever comes second finds it made.
 */
import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, type Consumer, type JetStreamClient, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { nanos } from '@nats-io/transport-node';
import type { names } from './connection.ts';

const CONSUMER = 'workers';
const DEAD_MAX_AGE_MS = 30 * 24 * 3600_000;

const code = (e: unknown) => (e as { code?: unknown }).code;

async function ensureStream(jsm: JetStreamManager, cfg: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(cfg.name);
  } catch (e) {
    if (code(e) !== 10059) throw e;
    // Another node may make it at the same moment: the same config is no conflict.
    await jsm.streams.add(cfg).catch(async (err: unknown) => { await jsm.streams.info(cfg.name).catch(() => { throw err; }); });
  }
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, ackWaitMs: number): Promise<void> {
  const ackWait = nanos(ackWaitMs);
  try {
    const ci = await jsm.consumers.info(stream, CONSUMER);
    // One consumer for the cluster: the node that opened last sets its ack wait.
    if (ci.config.ack_wait !== ackWait) await jsm.consumers.update(stream, CONSUMER, { ack_wait: ackWait });
  } catch (e) {
    if (code(e) !== 10014) throw e;
    const cfg = {
      durable_name: CONSUMER, ack_policy: AckPolicy.Explicit, ack_wait: ackWait, deliver_policy: DeliverPolicy.All, filter_subject: `${stream}.>`,
      // The record's attempts make a call dead, not the server; retries waiting out a nak(delay) count as pending acks.
      max_deliver: -1, max_ack_pending: -1,
    };
    await jsm.consumers.add(stream, cfg).catch(async (err: unknown) => { await jsm.consumers.info(stream, CONSUMER).catch(() => { throw err; }); });
  }
}

/** Opens the calls bucket, the streams and the queue's consumer under the names `n`. */
export async function openCallStreams(js: JetStreamClient, jsm: JetStreamManager, n: ReturnType<typeof names>, o: { replicas: number; ackWaitMs: number }): Promise<{ kv: KV; consumer: Consumer }> {
  // Reads before a compare-and-set go to the stream leader: a replica's direct get may lag.
  const kv = await new Kvm(js).create(n.calls, { history: 1, replicas: o.replicas, allow_direct: false });
  await ensureStream(jsm, { name: n.queue, subjects: [`${n.queue}.>`], retention: RetentionPolicy.Workqueue, storage: StorageType.File, num_replicas: o.replicas });
  await ensureStream(jsm, { name: n.dead, subjects: [`${n.dead}.>`], retention: RetentionPolicy.Limits, storage: StorageType.File, num_replicas: o.replicas, max_age: nanos(DEAD_MAX_AGE_MS) });
  await ensureConsumer(jsm, n.queue, o.ackWaitMs);
  return { kv, consumer: await js.consumers.get(n.queue, CONSUMER) };
}
