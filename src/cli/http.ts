/** The CLI's HTTP client for the admin API and the edge: errors become ApiError or NetworkError. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export class NetworkError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'NetworkError';
  }
}

export interface Endpoints {
  adminUrl: string;
  edgeUrl: string;
  token: string | undefined;
}

export async function adminCall<T = unknown>(ep: Endpoints, method: string, path: string, body?: { type: string; data: string | Uint8Array | FormData }): Promise<T> {
  const headers: Record<string, string> = {};
  if (ep.token) headers.authorization = `Bearer ${ep.token}`;
  if (body && !(body.data instanceof FormData)) headers['content-type'] = body.type;
  let res: Response;
  try {
    res = await fetch(new URL(path, ep.adminUrl), { method, headers, ...(body ? { body: body.data as NonNullable<RequestInit['body']> } : {}) });
  } catch (e) {
    throw new NetworkError(`cannot reach the admin API at ${ep.adminUrl}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`, e);
  }
  const text = await res.text();
  if (!res.ok) throw apiError(res.status, text);
  return (text ? JSON.parse(text) : null) as T;
}

/** An error answer (the admin API's or the edge's `{code, message}`, or any other body) as an ApiError. */
export function apiError(status: number, text: string): ApiError {
  let code = `HTTP_${status}`;
  let message = text;
  try {
    const j = JSON.parse(text) as { code?: string; message?: string };
    code = j.code ?? code;
    message = j.message ?? text;
  } catch { /* not JSON */ }
  return new ApiError(status, code, message);
}

/** Opens a streaming GET (server-sent events) and calls `onEvent` for each `data:` payload until the stream ends. */
export async function adminStream(ep: Endpoints, path: string, onEvent: (data: string) => void, signal?: AbortSignal): Promise<void> {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (ep.token) headers.authorization = `Bearer ${ep.token}`;
  let res: Response;
  try {
    res = await fetch(new URL(path, ep.adminUrl), { headers, ...(signal ? { signal } : {}) });
  } catch (e) {
    if (signal?.aborted) return;
    throw new NetworkError(`cannot reach the admin API at ${ep.adminUrl}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`, e);
  }
  if (!res.ok || !res.body) {
    const j = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
    throw new ApiError(res.status, j.code ?? `HTTP_${res.status}`, j.message ?? res.statusText);
  }
  const dec = new TextDecoder();
  let buf = '';
  try {
    for await (const chunk of res.body) {
      buf += dec.decode(chunk as Uint8Array, { stream: true });
      for (let i = buf.indexOf('\n\n'); i !== -1; i = buf.indexOf('\n\n')) {
        const ev = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = ev.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (data) onEvent(data);
      }
    }
  } catch (e) {
    if (!signal?.aborted) throw new NetworkError(`the log stream broke: ${(e as Error).message}`, e);
  }
}
