/**
 * The names the invocation store gives things in NATS: a call's KV key, a submission key's entry,
 * and the subject token of a function (its queue and dead-letter subjects).
 */
import { createHash } from 'node:crypto';

/** KV keys and subject tokens allow few characters: anything else is carried in base64url behind a '='. */
const PLAIN = /^[-_a-zA-Z0-9]+$/;
export const token = (s: string) => (PLAIN.test(s) ? s : `=${Buffer.from(s).toString('base64url')}`);
export const untoken = (t: string) => (t.startsWith('=') ? Buffer.from(t.slice(1), 'base64url').toString() : t);
/** A call's record. The bucket's watch (call-records.ts) reads the id back from behind the `c.`. */
export const callKey = (id: string) => `c.${token(id)}`;
export const dedupeKey = (fn: string, key: string) => `k.${token(fn)}.${createHash('sha256').update(key).digest('hex')}`;
