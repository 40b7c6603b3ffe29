import { GenericIsolate } from './src/runtime/js/index.ts';
const log = () => {};
const xs = [];
for (let i = 0; i < 20; i++) { const g = new GenericIsolate({ memoryMb: 64, log }); xs.push(g.createdMs); }
console.log(xs.map(x => x.toFixed(2)).join(' '));
const r0 = process.memoryUsage().rss; const keep = [];
for (let i = 0; i < 200; i++) keep.push(new GenericIsolate({ memoryMb: 64, log }));
console.log('rss per isolate KB', (process.memoryUsage().rss - r0) / 200 / 1024, keep[0].heapBytes());
for (const k of keep) k.dispose();
