// An edge-core-v1 function in AssemblyScript (docs/host-abi.md §2): a tiny router.
//   GET /             → a greeting
//   GET /hello/{name} → "Hello, {name}!" as JSON
//   anything else     → 404 with a JSON error
// Built with the stub runtime (no GC): the heap is reset at the start of every request,
// after the host has read the previous response.

@external("env", "log")
declare function hostLog(ptr: usize, len: i32): void;

function log(s: string): void {
  const b = String.UTF8.encode(s);
  hostLog(changetype<usize>(b), b.byteLength);
}

export function alloc(len: i32): usize {
  heap.reset();
  return heap.alloc(<usize>len);
}

/** The value of `"url":"…"` in the request head (the head is JSON written by the host; URLs carry no quotes). */
function urlOf(head: string): string {
  const key = '"url":"';
  const i = head.indexOf(key);
  if (i < 0) return '';
  const start = i + key.length;
  return head.substring(start, head.indexOf('"', start));
}

function pathOf(url: string): string {
  const scheme = url.indexOf('://');
  const slash = url.indexOf('/', scheme < 0 ? 0 : scheme + 3);
  if (slash < 0) return '/';
  const q = url.indexOf('?', slash);
  return q < 0 ? url.substring(slash) : url.substring(slash, q);
}

function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c == '"' || c == '\\') out += '\\' + c;
    else if (s.charCodeAt(i) < 0x20) out += ' ';
    else out += c;
  }
  return out + '"';
}

export function handle(ptr: usize, len: i32): i64 {
  const headLen = load<u32>(ptr);
  const head = String.UTF8.decodeUnsafe(ptr + 4, headLen);
  const path = pathOf(urlOf(head));
  let status = 200;
  let type = 'text/plain; charset=utf-8';
  let body: string;
  if (path == '/') {
    body = 'Hello from AssemblyScript on isoedge! Try /hello/your-name\n';
  } else if (path.startsWith('/hello/') && path.length > 7) {
    type = 'application/json';
    body = '{"greeting":' + jsonString('Hello, ' + path.substring(7) + '!') + ',"runtime":"assemblyscript"}';
  } else {
    status = 404;
    type = 'application/json';
    body = '{"error":"not found","path":' + jsonString(path) + '}';
  }
  log('as-router ' + path + ' -> ' + status.toString());
  const respHead = String.UTF8.encode('{"status":' + status.toString() + ',"headers":[["content-type","' + type + '"]]}');
  const respBody = String.UTF8.encode(body);
  const hl = respHead.byteLength;
  const total = 4 + hl + respBody.byteLength;
  const out = heap.alloc(<usize>total);
  store<u32>(out, hl);
  memory.copy(out + 4, changetype<usize>(respHead), hl);
  memory.copy(out + 4 + hl, changetype<usize>(respBody), respBody.byteLength);
  return (<i64>out << 32) | <i64>total;
}
