// jose (JWS/JWT/JWE) used unchanged: HS256, ES256, EdDSA, JWE dir A256GCM. Fixed keys and claims, no time-dependent output.
import { CompactEncrypt, SignJWT, compactDecrypt, importJWK, jwtVerify, decodeProtectedHeader, generateKeyPair, exportJWK } from 'jose';

const HS = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
const ED = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A' };
const CLAIMS = { sub: 'user-1', scope: 'read', iat: 1700000000, exp: 4102444800 };

async function route(path: string, body: string): Promise<unknown> {
  switch (path) {
    case '/hs256': {
      const t = await new SignJWT(CLAIMS).setProtectedHeader({ alg: 'HS256' }).sign(HS);
      const { payload, protectedHeader } = await jwtVerify(t, HS);
      return { token: t, payload, protectedHeader };
    }
    case '/hs256/verify': {
      try {
        return { ok: true, payload: (await jwtVerify(body, HS)).payload };
      } catch (e) {
        return { ok: false, code: (e as { code?: string }).code };
      }
    }
    case '/eddsa': {
      const priv = await importJWK(ED, 'EdDSA');
      const pub = await importJWK({ kty: ED.kty, crv: ED.crv, x: ED.x }, 'EdDSA');
      const t = await new SignJWT(CLAIMS).setProtectedHeader({ alg: 'EdDSA' }).sign(priv);
      return { token: t, verified: (await jwtVerify(t, pub)).payload };
    }
    case '/es256': {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const t = await new SignJWT(CLAIMS).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey);
      const jwk = await exportJWK(publicKey);
      return { header: decodeProtectedHeader(t), parts: t.split('.').length, sigLength: t.split('.')[2]!.length, verified: (await jwtVerify(t, publicKey)).payload, jwk: { kty: jwk.kty, crv: jwk.crv } };
    }
    case '/jwe': {
      const key = new Uint8Array(32).fill(7);
      const jwe = await new CompactEncrypt(new TextEncoder().encode('secret message')).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(key);
      const { plaintext, protectedHeader } = await compactDecrypt(jwe, key);
      return { segments: jwe.split('.').map((s) => s.length), header: protectedHeader, plaintext: new TextDecoder().decode(plaintext) };
    }
    default:
      return null;
  }
}

export default {
  async fetch(req: Request): Promise<Response> {
    const out = await route(new URL(req.url).pathname, req.method === 'POST' ? await req.text() : '');
    return out === null ? new Response('not found', { status: 404 }) : Response.json(out);
  },
};
