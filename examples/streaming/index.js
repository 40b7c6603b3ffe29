// Streaming bodies both ways: Server-Sent Events, a download made as the client reads it,
// an upload hashed as it arrives, and a transform that rewrites a body on the fly.
const enc = new TextEncoder();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `count` events, one every `everyMs`: each reaches the client when it is written. */
function events(count, everyMs, signal) {
  let i = 0;
  return new ReadableStream({
    async pull(c) {
      if (i > 0) await sleep(everyMs);
      if (signal.aborted) return;
      c.enqueue(enc.encode(`id: ${i}\nevent: tick\ndata: {"n":${i},"at":${Date.now()}}\n\n`));
      if (++i === count) c.close();
    },
    cancel() { console.log('the client went away after', i, 'events'); },
  });
}

/** `mib` MiB of the letter `x`, 64 KiB per chunk, made only as fast as the client reads. */
function download(mib) {
  const chunk = new Uint8Array(64 * 1024).fill(0x78);
  let left = mib * 16;
  return new ReadableStream({
    pull(c) {
      if (left-- > 0) c.enqueue(chunk.slice());
      else c.close();
    },
  });
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case '/sse':
        return new Response(events(Number(url.searchParams.get('n') ?? 5), Number(url.searchParams.get('ms') ?? 500), request.signal), {
          headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
        });
      case '/download': {
        const mib = Math.min(1024, Number(url.searchParams.get('mib') ?? 16));
        return new Response(download(mib), { headers: { 'content-type': 'application/octet-stream', 'content-length': String(mib * 1024 * 1024) } });
      }
      case '/hash': {
        // The body is hashed as it arrives: a 200 MB upload never sits in memory.
        if (request.body === null) return new Response('POST a body\n', { status: 400 });
        const digest = new crypto.DigestStream('SHA-256');
        let bytes = 0;
        await request.body.pipeThrough(new TransformStream({ transform(c, ctl) { bytes += c.byteLength; ctl.enqueue(c); } })).pipeTo(digest);
        const hex = [...new Uint8Array(await digest.digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
        return new Response(`${bytes} bytes, sha-256 ${hex}\n`);
      }
      case '/upper':
        // A body rewritten on the fly: text in, upper-case text out, chunk by chunk.
        if (request.body === null) return new Response('POST some text\n', { status: 400 });
        return new Response(
          request.body
            .pipeThrough(new TextDecoderStream())
            .pipeThrough(new TransformStream({ transform(s, ctl) { ctl.enqueue(s.toUpperCase()); } }))
            .pipeThrough(new TextEncoderStream()),
          { headers: { 'content-type': 'text/plain;charset=UTF-8' } },
        );
      default:
        return new Response('streaming: try /sse, /download?mib=16, POST /hash, POST /upper\n');
    }
  },
};
