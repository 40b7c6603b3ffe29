/**
 * CloudEvents 1.0 over HTTP (the HTTP protocol binding and the JSON event format, spec v1.0.2).
 * Pure: headers and bytes in, a checked event and the request to hand the function out.
 *
 * The mode is chosen by Content-Type, as the binding says (§1.3): `application/cloudevents-batch…`
 * is batched, `application/cloudevents…` is structured, anything else with `ce-` headers is binary.
 * A structured event is rewritten into binary mode, so a function sees one shape whichever way
 * the sender chose.
 */
import { EdgeError } from '../core/errors.ts';
import type { HeaderPairs } from '../runtime/types.ts';

export interface CloudEventInfo {
  id: string;
  source: string;
  type: string;
  specversion: '1.0';
  subject?: string;
  time?: string;
  datacontenttype?: string;
  mode: 'binary' | 'structured';
}

export interface CloudEventRequest {
  event: CloudEventInfo;
  headers: HeaderPairs;
  body: Uint8Array | null;
}

const REQUIRED = ['specversion', 'id', 'source', 'type'] as const;
/** Core spec "Attribute Naming Convention": a-z and 0-9 only; 20 characters at most. */
const ATTRIBUTE_NAME = /^[a-z0-9]{1,20}$/;
/** RFC 3339 §5.6 date-time; the field ranges are checked in isRfc3339. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

const invalid = (message: string): EdgeError => new EdgeError('EDGE_ERR_CLOUDEVENT_INVALID', message);

/**
 * A dedupe key: the spec makes (source, id) unique per event. JSON keeps the pair unambiguous
 * where a plain join would not (source "a,b" id "c" vs source "a" id "b,c").
 */
export function cloudEventKey(e: CloudEventInfo): string {
  return JSON.stringify([e.source, e.id]);
}

/** undefined: not a CloudEvent (no ce-specversion/ce-id... header, content type not cloudevents). */
export function readCloudEvent(headers: HeaderPairs, body: Uint8Array | null): CloudEventRequest | undefined {
  const contentType = headers.find(([n]) => n === 'content-type')?.[1];
  const media = contentType?.split(';')[0]!.trim().toLowerCase() ?? '';
  if (media.startsWith('application/cloudevents-batch')) {
    throw new EdgeError('EDGE_ERR_CLOUDEVENT_BATCH', `the request is a batch of CloudEvents (${media}); send one event per request`);
  }
  if (media === 'application/cloudevents+json') return readStructured(headers, body);
  if (media.startsWith('application/cloudevents')) {
    throw invalid(`the CloudEvent uses the structured format "${media}"; only application/cloudevents+json is supported`);
  }
  if (!headers.some(([n]) => n.startsWith('ce-'))) return undefined;
  return { event: readBinary(headers, contentType), headers, body };
}

/** Binary mode (§3.1): attributes are `ce-` headers; the body is the data, so both pass through. */
function readBinary(headers: HeaderPairs, contentType: string | undefined): CloudEventInfo {
  const attrs = new Map<string, string>();
  for (const [name, raw] of headers) {
    if (!name.startsWith('ce-')) continue;
    const attr = name.slice(3);
    if (!ATTRIBUTE_NAME.test(attr)) {
      throw invalid(`the CloudEvent header ${name} does not name a valid attribute (names are 1 to 20 characters of a-z and 0-9)`);
    }
    // Repeats would be joined with commas by HTTP; an event has one value per attribute.
    if (attrs.has(attr)) throw invalid(`the CloudEvent has more than one ${name} header`);
    attrs.set(attr, decodeHeaderValue(name, raw));
  }
  // §3.1.1: Content-Type is the datacontenttype; a second copy could only disagree with it.
  if (attrs.has('datacontenttype')) throw invalid('the CloudEvent has a ce-datacontenttype header; binary mode carries it as content-type');
  for (const attr of REQUIRED) {
    const value = attrs.get(attr);
    if (value === undefined) throw invalid(`the CloudEvent has no ce-${attr} header (binary mode needs ce-specversion, ce-id, ce-source, ce-type)`);
    if (value === '') throw invalid(`the CloudEvent's ce-${attr} header is empty`);
  }
  return checkedEvent(attrs, contentType, 'binary', (a) => `ce-${a} header`);
}

/**
 * §3.1.3.2: undo a quoted-string (older senders), then one round of percent-decoding.
 * decodeURIComponent rejects invalid and overlong UTF-8, which the spec says MUST be rejected.
 */
function decodeHeaderValue(name: string, raw: string): string {
  let value = raw.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
  try {
    return decodeURIComponent(value);
  } catch {
    throw invalid(`the CloudEvent header ${name} is not valid percent-encoded UTF-8`);
  }
}

/** Structured mode, JSON format: the body holds every attribute and the data; rewrite it as binary. */
function readStructured(headers: HeaderPairs, body: Uint8Array | null): CloudEventRequest {
  const doc = parseObject(body);
  if ('data' in doc && 'data_base64' in doc) throw invalid('the structured CloudEvent has both "data" and "data_base64"; it may have one');

  const attrs = new Map<string, string>();
  for (const [attr, value] of Object.entries(doc)) {
    // JSON format §2.2: a null attribute is unset.
    if (attr === 'data' || attr === 'data_base64' || value === null) continue;
    if (!ATTRIBUTE_NAME.test(attr)) {
      throw invalid(`the structured CloudEvent attribute "${attr}" is not a valid name (names are 1 to 20 characters of a-z and 0-9)`);
    }
    attrs.set(attr, attributeString(attr, value));
  }
  for (const attr of REQUIRED) {
    const value = doc[attr];
    if (value === undefined || value === null) throw invalid(`the structured CloudEvent has no "${attr}" attribute (it needs specversion, id, source, type)`);
    if (typeof value !== 'string' || value === '') throw invalid(`the structured CloudEvent's "${attr}" attribute is not a non-empty string`);
  }
  if (attrs.has('datacontenttype') && typeof doc.datacontenttype !== 'string') throw invalid('the structured CloudEvent\'s "datacontenttype" is not a string');

  const { data, contentType } = eventData(doc, attrs.get('datacontenttype'));
  attrs.delete('datacontenttype');
  const event = checkedEvent(attrs, contentType, 'structured', (a) => `"${a}" attribute`);

  // The old framing headers describe the JSON envelope, and stale ce- headers (§3.2.3 lets senders
  // add them) could disagree with the body, which is authoritative; the caller recomputes the length.
  const out: HeaderPairs = headers.filter(([n]) => n !== 'content-type' && n !== 'content-length' && !n.startsWith('ce-'));
  for (const [attr, value] of attrs) out.push([`ce-${attr}`, encodeHeaderValue(value)]);
  if (contentType !== undefined) out.push(['content-type', contentType]);
  return { event, headers: out, body: data };
}

function parseObject(body: Uint8Array | null): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body ?? new Uint8Array()));
  } catch {
    throw invalid('the structured CloudEvent body is not a JSON object (it does not parse as UTF-8 JSON)');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw invalid(`the structured CloudEvent body is not a JSON object (it is ${Array.isArray(doc) ? 'an array' : doc === null ? 'null' : `a ${typeof doc}`})`);
  }
  return doc as Record<string, unknown>;
}

/** JSON format §2.2: attributes are strings, integers or booleans; each becomes its canonical string. */
function attributeString(attr: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  throw invalid(`the structured CloudEvent attribute "${attr}" is ${typeof value === 'number' ? 'not an integer' : `a JSON ${Array.isArray(value) ? 'array' : 'object'}`}; attributes are strings, integers or booleans`);
}

/**
 * JSON format §3.1.2: data_base64 is raw bytes; data is a JSON value when the content type is
 * JSON (absent counts as application/json, and is then written out explicitly), else a string.
 */
function eventData(doc: Record<string, unknown>, datacontenttype: string | undefined): { data: Uint8Array | null; contentType: string | undefined } {
  if ('data_base64' in doc && doc.data_base64 !== null) {
    return { data: decodeBase64(doc.data_base64), contentType: datacontenttype };
  }
  if (!('data' in doc)) return { data: null, contentType: datacontenttype };
  // A "data": null member is an explicit JSON null payload, not an absent one (§3.1.1).
  const contentType = datacontenttype ?? 'application/json';
  if (isJsonType(contentType)) return { data: new TextEncoder().encode(JSON.stringify(doc.data)), contentType };
  if (typeof doc.data !== 'string') {
    throw invalid(`the structured CloudEvent's "data" is not a string, and its datacontenttype ${contentType} is not JSON`);
  }
  return { data: new TextEncoder().encode(doc.data), contentType };
}

/** `*\/json` or `*\/*+json`, parameters ignored (JSON format §3.1.1). */
function isJsonType(contentType: string): boolean {
  const media = contentType.split(';')[0]!.trim().toLowerCase();
  return /^[^/]+\/(json|[^/]+\+json)$/.test(media);
}

function decodeBase64(value: unknown): Uint8Array {
  // atob is forgiving (it skips whitespace); hold the field to RFC 4648 base64 with optional padding.
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 === 1) {
    throw invalid('the structured CloudEvent\'s "data_base64" is not a base64 string');
  }
  try {
    return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
  } catch {
    throw invalid('the structured CloudEvent\'s "data_base64" is not a base64 string');
  }
}

/**
 * §3.1.3.2: space, double-quote, percent and anything outside printable ASCII are percent-encoded
 * as UTF-8, so any string survives as a header value (no CR/LF injection) and decodes back exactly.
 */
function encodeHeaderValue(value: string): string {
  const utf8 = new TextEncoder();
  return value.replace(/[^\x21\x23\x24\x26-\x7e]/gu, (ch) => Array.from(utf8.encode(ch), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
}

/** The checks both modes share, on attributes already decoded to strings. */
function checkedEvent(attrs: Map<string, string>, contentType: string | undefined, mode: CloudEventInfo['mode'], where: (attr: string) => string): CloudEventInfo {
  const specversion = attrs.get('specversion');
  if (specversion !== '1.0') throw invalid(`the CloudEvent has specversion "${specversion}"; 1.0 is the only one supported`);
  const time = attrs.get('time');
  if (time !== undefined && !isRfc3339(time)) throw invalid(`the CloudEvent's ${where('time')} "${time}" is not an RFC 3339 timestamp`);
  const event: CloudEventInfo = { id: attrs.get('id')!, source: attrs.get('source')!, type: attrs.get('type')!, specversion: '1.0', mode };
  const subject = attrs.get('subject');
  if (subject !== undefined) event.subject = subject;
  if (time !== undefined) event.time = time;
  if (contentType !== undefined) event.datacontenttype = contentType;
  return event;
}

function isRfc3339(value: string): boolean {
  const m = RFC3339.exec(value);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const daysInMonth = mo === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(mo) ? 30 : 31;
  const offsetOk = m[9] === undefined || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  // Second 60 is a leap second, which RFC 3339 allows.
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth && h <= 23 && mi <= 59 && s <= 60 && offsetOk;
}
