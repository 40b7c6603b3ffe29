/** The fixed requests each app gets (test/differential/apps/*.ts); expectations are recorded in ../expected-apps.json. */
export interface AppRequest { name: string; method?: string; path: string; headers?: Record<string, string>; body?: string }

const basic = (u: string, p: string) => `Basic ${btoa(`${u}:${p}`)}`;
const HS_TOKEN = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSJ9.AAAA';
const ORDER = { id: '6f1c2e1a-3b4d-4c5e-8f90-1a2b3c4d5e6f', email: 'ada@example.com', items: [{ sku: 'abc', qty: 2 }, { sku: 'defg', qty: 3 }], when: '2026-01-02T03:04:05Z' };

export const APPS: Record<string, { requests: AppRequest[] }> = {
  hono: {
    requests: [
      { name: 'root', path: '/' },
      { name: 'param and query', path: '/users/42?q=x%20y' },
      { name: 'param regex mismatch → notFound', path: '/users/abc' },
      { name: 'basic-auth missing', path: '/basic/ok' },
      { name: 'basic-auth wrong', path: '/basic/ok', headers: { authorization: basic('ada', 'nope') } },
      { name: 'basic-auth right', path: '/basic/ok', headers: { authorization: basic('ada', 'lovelace') } },
      { name: 'bearer-auth missing', path: '/bearer/ok' },
      { name: 'bearer-auth right', path: '/bearer/ok', headers: { authorization: 'Bearer t0ken' } },
      { name: 'etag', path: '/etag/x' },
      { name: 'etag if-none-match → 304', path: '/etag/x', headers: { 'if-none-match': '"8721243656768ecb1daf9352cb8415e78f21fffa"' } },
      { name: 'cors preflight', method: 'OPTIONS', path: '/cors/x', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } },
      { name: 'cors simple', path: '/cors/x', headers: { origin: 'https://app.example' } },
      { name: 'secure-headers', path: '/secure/x' },
      { name: 'json validator ok', method: 'POST', path: '/validate', headers: { 'content-type': 'application/json' }, body: '{"name":"ada"}' },
      { name: 'json validator rejects', method: 'POST', path: '/validate', headers: { 'content-type': 'application/json' }, body: '{"nom":1}' },
      { name: 'jwt sign', path: '/jwt/token' },
      // The token is what /jwt/token signs (HS256 is deterministic), so 'jwt sign' and this agree.
      { name: 'jwt middleware accepts', path: '/jwt/private/me', headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSIsInJvbGUiOiJhZG1pbiIsImV4cCI6NDEwMjQ0NDgwMH0.t5XyeQgBmBMviXcBcNxCwp9fsYLZiUeOFNFl_dyJKyc' } },
      { name: 'jwt middleware rejects', path: '/jwt/private/me', headers: { authorization: `Bearer ${HS_TOKEN}` } },
      { name: 'streamSSE', path: '/sse' },
      { name: 'stream', path: '/stream' },
      { name: 'onError', path: '/throws' },
    ],
  },
  itty: {
    requests: [
      { name: 'root', path: '/' },
      { name: 'params', path: '/items/7' },
      { name: 'query', path: '/query?a=1&a=2&b=x' },
      { name: 'post json', method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body: '{"k":[1,2]}' },
      { name: 'error helper', path: '/teapot' },
      { name: 'status helper', path: '/accepted' },
      { name: 'custom headers', path: '/text' },
      { name: 'missing → 404', path: '/nope' },
      { name: 'throws → 500', path: '/throws' },
      { name: 'cors preflight', method: 'OPTIONS', path: '/items/1', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } },
      { name: 'cors simple', path: '/items/1', headers: { origin: 'https://app.example' } },
    ],
  },
  jose: {
    requests: [
      { name: 'HS256 sign+verify', path: '/hs256' },
      { name: 'HS256 bad signature', method: 'POST', path: '/hs256/verify', body: HS_TOKEN },
      { name: 'EdDSA sign+verify', path: '/eddsa' },
      { name: 'ES256 sign+verify', path: '/es256' },
      { name: 'JWE dir A256GCM', path: '/jwe' },
    ],
  },
  zod: {
    requests: [
      { name: 'valid order', method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ORDER) },
      { name: 'invalid order', method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...ORDER, id: 'x', email: 'no', items: [{ sku: 'a', qty: 0 }] }) },
      { name: 'not JSON', method: 'POST', path: '/', body: '{oops' },
      { name: 'GET → 405', path: '/' },
    ],
  },
};
