import { describe, expect, it } from 'vitest';
import { EdgeError } from '../src/core/errors.ts';
import type { HeaderPairs } from '../src/runtime/types.ts';
import { cloudEventKey, readCloudEvent, type CloudEventInfo } from '../src/async/cloudevents.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));

const BINARY: HeaderPairs = [
  ['host', 'fn.example.com'],
  ['ce-specversion', '1.0'],
  ['ce-id', '1234-1234-1234'],
  ['ce-source', '/mycontext/subcontext'],
  ['ce-type', 'com.example.someevent'],
  ['ce-time', '2018-04-05T03:56:24Z'],
  ['ce-comexampleextension1', 'value'],
  ['content-type', 'application/json; charset=utf-8'],
  ['content-length', '9'],
];
const without = (name: string): HeaderPairs => BINARY.filter(([n]) => n !== name);
const replaced = (name: string, value: string): HeaderPairs => BINARY.map(([n, v]) => [n, n === name ? value : v]);

const structured = (doc: unknown, contentType = 'application/cloudevents+json'): [HeaderPairs, Uint8Array] => [
  [['host', 'fn.example.com'], ['content-type', contentType], ['content-length', '999'], ['x-trace', 't1']],
  utf8(JSON.stringify(doc)),
];
const ATTRS = { specversion: '1.0', id: 'A234-1234-1234', source: '/mycontext', type: 'com.example.someevent' };

/** The EdgeError readCloudEvent throws for these arguments. */
function refusal(headers: HeaderPairs, body: Uint8Array | null): EdgeError {
  try {
    readCloudEvent(headers, body);
  } catch (err) {
    expect(err).toBeInstanceOf(EdgeError);
    return err as EdgeError;
  }
  throw new Error('readCloudEvent did not throw');
}

describe('readCloudEvent: not an event', () => {
  it('returns undefined for a plain JSON request with no ce- headers', () => {
    expect(readCloudEvent([['content-type', 'application/json'], ['x-ce', 'no']], utf8('{"a":1}'))).toBeUndefined();
    expect(readCloudEvent([], null)).toBeUndefined();
  });
});

describe('readCloudEvent: binary mode', () => {
  it('passes a valid event through unchanged', () => {
    const body = utf8('{"x":1}');
    const out = readCloudEvent(BINARY, body)!;
    expect(out.headers).toBe(BINARY);
    expect(out.body).toBe(body);
    expect(out.event).toEqual({
      id: '1234-1234-1234', source: '/mycontext/subcontext', type: 'com.example.someevent', specversion: '1.0',
      time: '2018-04-05T03:56:24Z', datacontenttype: 'application/json; charset=utf-8', mode: 'binary',
    });
  });

  it.each(['ce-specversion', 'ce-id', 'ce-source', 'ce-type'])('refuses an event without %s, naming it', (name) => {
    const err = refusal(without(name), null);
    expect(err.code).toBe('EDGE_ERR_CLOUDEVENT_INVALID');
    expect(err.statusCode).toBe(400);
    expect(err.message).toBe(`the CloudEvent has no ${name} header (binary mode needs ce-specversion, ce-id, ce-source, ce-type)`);
  });

  it('refuses an empty required header', () => {
    expect(refusal(replaced('ce-source', ''), null).message).toBe("the CloudEvent's ce-source header is empty");
  });

  it('refuses specversion 0.3, naming it and the supported version', () => {
    const err = refusal(replaced('ce-specversion', '0.3'), null);
    expect(err.code).toBe('EDGE_ERR_CLOUDEVENT_INVALID');
    expect(err.message).toContain('"0.3"');
    expect(err.message).toContain('1.0 is the only one supported');
  });

  it.each(['yesterday', '2018-04-05 03:56:24Z', '2018-04-05T03:56:24', '2018-02-30T00:00:00Z', '2018-04-05T24:00:00Z'])('refuses ce-time %j', (time) => {
    const err = refusal(replaced('ce-time', time), null);
    expect(err.code).toBe('EDGE_ERR_CLOUDEVENT_INVALID');
    expect(err.message).toContain('is not an RFC 3339 timestamp');
  });

  it('accepts RFC 3339 times with fractions and offsets', () => {
    for (const time of ['2018-04-05T03:56:24.123456+02:00', '2020-02-29t23:59:60z']) {
      expect(readCloudEvent(replaced('ce-time', time), null)!.event.time).toBe(time);
    }
  });

  it.each(['ce-my_ext', 'ce-my-ext', 'ce-', 'ce-abcdefghijklmnopqrstu'])('refuses the extension header %s', (name) => {
    const err = refusal([...BINARY, [name, 'x']], null);
    expect(err.code).toBe('EDGE_ERR_CLOUDEVENT_INVALID');
    expect(err.message).toContain(`header ${name} does not name a valid attribute`);
  });

  it('refuses ce-datacontenttype (content-type carries it) and repeated attributes', () => {
    expect(refusal([...BINARY, ['ce-datacontenttype', 'text/plain']], null).message).toContain('ce-datacontenttype');
    expect(refusal([...BINARY, ['ce-id', 'other']], null).message).toBe('the CloudEvent has more than one ce-id header');
  });

  it('percent-decodes header values for the event only', () => {
    const headers = replaced('ce-source', 'Euro%20%e2%82%AC%20%F0%9F%98%80');
    const out = readCloudEvent(headers, null)!;
    expect(out.event.source).toBe('Euro € 😀');
    expect(out.headers).toBe(headers);
    expect(readCloudEvent([...BINARY, ['ce-subject', '"a \\"b\\""']], null)!.event.subject).toBe('a "b"');
    // %C0%A0 is an overlong encoding of a space, which the binding says to reject.
    expect(refusal(replaced('ce-id', 'x%C0%A0'), null).message).toContain('ce-id is not valid percent-encoded UTF-8');
  });
});

describe('readCloudEvent: structured mode becomes binary', () => {
  it('converts JSON data, defaulting content-type to application/json', () => {
    const [headers, body] = structured({ ...ATTRS, time: '2018-04-05T17:31:00Z', comexampleothervalue: 5, flag: true, unset: null, data: { appinfoA: 'abc' } });
    const out = readCloudEvent(headers, body)!;
    expect(out.event).toEqual({ ...ATTRS, time: '2018-04-05T17:31:00Z', datacontenttype: 'application/json', mode: 'structured' });
    expect(out.headers).toEqual([
      ['host', 'fn.example.com'], ['x-trace', 't1'],
      ['ce-specversion', '1.0'], ['ce-id', 'A234-1234-1234'], ['ce-source', '/mycontext'], ['ce-type', 'com.example.someevent'],
      ['ce-time', '2018-04-05T17:31:00Z'], ['ce-comexampleothervalue', '5'], ['ce-flag', 'true'],
      ['content-type', 'application/json'],
    ]);
    expect(JSON.parse(text(out.body)!)).toEqual({ appinfoA: 'abc' });
    // The converted request reads back as the same event in binary mode.
    expect(readCloudEvent(out.headers, out.body)!.event).toEqual({ ...out.event, mode: 'binary' });
  });

  it('serialises string data as JSON when the content type is JSON', () => {
    const [headers, body] = structured({ ...ATTRS, data: "I'm just a string" });
    expect(text(readCloudEvent(headers, body)!.body)).toBe('"I\'m just a string"');
    const [h2, b2] = structured({ ...ATTRS, datacontenttype: 'application/vnd.api+json', data: 'x' });
    expect(text(readCloudEvent(h2, b2)!.body)).toBe('"x"');
  });

  it('passes string data with text/plain as the UTF-8 string itself', () => {
    const [headers, body] = structured({ ...ATTRS, datacontenttype: 'text/plain; charset=utf-8', data: 'héllo <b>' });
    const out = readCloudEvent(headers, body)!;
    expect(text(out.body)).toBe('héllo <b>');
    expect(out.headers).toContainEqual(['content-type', 'text/plain; charset=utf-8']);
    expect(out.headers.some(([n]) => n === 'ce-datacontenttype')).toBe(false);
    expect(out.event.datacontenttype).toBe('text/plain; charset=utf-8');
  });

  it('refuses non-string data with a non-JSON content type', () => {
    const [headers, body] = structured({ ...ATTRS, datacontenttype: 'text/plain', data: { a: 1 } });
    expect(refusal(headers, body).message).toContain('"data" is not a string');
  });

  it('decodes data_base64 to the raw bytes', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const [headers, body] = structured({ ...ATTRS, datacontenttype: 'application/vnd.apache.thrift.binary', data_base64: btoa(String.fromCharCode(...bytes)) });
    const out = readCloudEvent(headers, body)!;
    expect(out.body).toEqual(bytes);
    expect(out.headers).toContainEqual(['content-type', 'application/vnd.apache.thrift.binary']);
    const [h2, b2] = structured({ ...ATTRS, data_base64: 'not base64!' });
    expect(refusal(h2, b2).message).toContain('"data_base64" is not a base64 string');
  });

  it('gives a null body and no content-type when there is no data', () => {
    const [headers, body] = structured(ATTRS);
    const out = readCloudEvent(headers, body)!;
    expect(out.body).toBeNull();
    expect(out.headers.some(([n]) => n === 'content-type' || n === 'content-length')).toBe(false);
    expect(out.event).toEqual({ ...ATTRS, mode: 'structured' });
  });

  it('percent-encodes attribute values that are not plain header text', () => {
    const [headers, body] = structured({ ...ATTRS, subject: 'Euro € 😀\r\nx-evil: 1' });
    const out = readCloudEvent(headers, body)!;
    expect(out.headers).toContainEqual(['ce-subject', 'Euro%20%E2%82%AC%20%F0%9F%98%80%0D%0Ax-evil:%201']);
    expect(out.event.subject).toBe('Euro € 😀\r\nx-evil: 1');
    expect(readCloudEvent(out.headers, out.body)!.event.subject).toBe(out.event.subject);
  });

  it('replaces ce- headers the sender also set with the body\'s attributes', () => {
    const [headers, body] = structured(ATTRS);
    const out = readCloudEvent([...headers, ['ce-id', 'stale']], body)!;
    expect(out.headers.filter(([n]) => n === 'ce-id')).toEqual([['ce-id', 'A234-1234-1234']]);
  });

  it('refuses both data and data_base64', () => {
    const [headers, body] = structured({ ...ATTRS, data: 1, data_base64: 'AQ==' });
    expect(refusal(headers, body).message).toContain('both "data" and "data_base64"');
  });

  it.each([
    ['not JSON', utf8('{"specversion":')],
    ['an array', utf8(JSON.stringify([ATTRS]))],
    ['empty', null],
  ])('refuses a body that is %s', (_what, body) => {
    const err = refusal([['content-type', 'application/cloudevents+json']], body);
    expect(err.code).toBe('EDGE_ERR_CLOUDEVENT_INVALID');
    expect(err.message).toContain('not a JSON object');
  });

  it.each(['specversion', 'id', 'source', 'type'] as const)('refuses a body without %s, and with it empty or not a string', (attr) => {
    const { [attr]: _, ...rest } = ATTRS;
    expect(refusal(...structured(rest)).message).toBe(`the structured CloudEvent has no "${attr}" attribute (it needs specversion, id, source, type)`);
    expect(refusal(...structured({ ...ATTRS, [attr]: '' })).message).toContain(`"${attr}" attribute is not a non-empty string`);
    expect(refusal(...structured({ ...ATTRS, [attr]: 7 })).message).toContain(`"${attr}" attribute is not a non-empty string`);
  });

  it('refuses specversion 0.3, object attributes, bad names and bad times', () => {
    expect(refusal(...structured({ ...ATTRS, specversion: '0.3' })).message).toContain('"0.3"; 1.0 is the only one supported');
    expect(refusal(...structured({ ...ATTRS, ext: { a: 1 } })).message).toContain('"ext" is a JSON object');
    expect(refusal(...structured({ ...ATTRS, ext: 1.5 })).message).toContain('"ext" is not an integer');
    expect(refusal(...structured({ ...ATTRS, Bad_Name: 'x' })).message).toContain('"Bad_Name" is not a valid name');
    expect(refusal(...structured({ ...ATTRS, time: 'now' })).message).toContain('"time" attribute "now" is not an RFC 3339 timestamp');
  });

  it('reads the media type case-insensitively and ignores parameters', () => {
    for (const ct of ['application/cloudevents+json; charset=utf-8', 'Application/CloudEvents+JSON', ' APPLICATION/cloudevents+json ;charset=UTF-8']) {
      expect(readCloudEvent(...structured({ ...ATTRS, data: 1 }, ct))!.event.mode).toBe('structured');
    }
  });
});

describe('readCloudEvent: other content modes', () => {
  it('refuses a batch with 415, asking for one event per request', () => {
    for (const ct of ['application/cloudevents-batch+json', 'Application/CloudEvents-Batch+JSON; charset=utf-8']) {
      const err = refusal([['content-type', ct]], utf8(JSON.stringify([ATTRS])));
      expect(err.code).toBe('EDGE_ERR_CLOUDEVENT_BATCH');
      expect(err.statusCode).toBe(415);
      expect(err.message).toContain('send one event per request');
    }
  });

  it.each(['application/cloudevents+avro', 'application/cloudevents+protobuf'])('refuses the structured format %s, naming it', (ct) => {
    const err = refusal([['content-type', ct], ...without('content-type')], utf8('x'));
    expect(err.code).toBe('EDGE_ERR_CLOUDEVENT_INVALID');
    expect(err.message).toBe(`the CloudEvent uses the structured format "${ct}"; only application/cloudevents+json is supported`);
  });
});

describe('cloudEventKey', () => {
  const ev = (source: string, id: string): CloudEventInfo => ({ ...ATTRS, specversion: '1.0', source, id, mode: 'binary' });
  it('is unambiguous across the source/id boundary', () => {
    expect(cloudEventKey(ev('a,b', 'c'))).not.toBe(cloudEventKey(ev('a', 'b,c')));
    expect(cloudEventKey(ev('a', 'b'))).toBe(cloudEventKey({ ...ev('a', 'b'), mode: 'structured', type: 'other' }));
  });
});
