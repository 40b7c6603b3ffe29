/**
 * The differential suite (issue 14 item 7; test/differential/): the same bundles on isoedge and on
 * workerd (no_nodejs_compat), compared case by case with the spec's value (areas) or the recorded
 * expectation (apps), and with each other. Without workerd (not installed and no registry to install
 * it from) the workerd side is skipped with a line saying how to get it; isoedge is still checked
 * against every expected value. `npm run compat` prints the same comparison as a report.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Case } from './differential/harness.ts';
import { bundleAll, compare, GET_WORKERD, loadCases, runIsoedge, runWorkerd, type Report, type Results } from './differential/run.ts';

/** Where isoedge does not give the expected value, and why (docs/host-abi.md, compatibility notes). */
const KNOWN_ISOEDGE: Record<string, string> = {
  'fetch: Request method is normalised': 'upper-cases every method, as workerd does; Fetch normalises only DELETE/GET/HEAD/OPTIONS/POST/PUT',
};
/** Where workerd (the reference) does not give the spec's value. */
const KNOWN_WORKERD: Record<string, string> = {
  'streams: writer.desiredSize and ready': 'desiredSize does not drop synchronously after write()',
  'streams: tee: canceling both branches gives the source both reasons': 'the source\'s cancel gets the last branch\'s reason, not [reason1, reason2]',
  'streams: tee: pulls only what fits in the emptiest queue': 'its native tee pulls once for two reads of a highWaterMark 0 source',
  'fetch: Request method is normalised': 'upper-cases every method',
  'events: preventDefault on a non-cancelable event': 'dispatchEvent answers false although the event is not cancelable',
  'events: dispatch state during a listener': 'currentTarget is not reset to null after dispatch',
  'compression: a non-BufferSource chunk errors with TypeError': 'the readable side never settles',
  'file: FormData Blob value becomes a File named blob': 'the File is named after the field, not "blob"',
};

let cases: Record<string, Case[]>;
let iso: Results;
let wd: Results | string;
let report: Report;
const fails = (side: 'isoedgeFails' | 'workerdFails') => [...report.areas, ...report.apps].flatMap((r) => r[side].map((n) => `${r.area}: ${n}`)).sort();

beforeAll(async () => {
  const bundles = await bundleAll();
  cases = await loadCases();
  [iso, wd] = await Promise.all([runIsoedge(bundles), runWorkerd(bundles)]);
  report = compare(cases, iso, wd);
}, 60_000);

describe('differential: isoedge and workerd on the same bundles', () => {
  it('every area has cases and every case names the WPT file it follows', () => {
    for (const [area, cs] of Object.entries(cases)) {
      expect(cs.length, area).toBeGreaterThan(5);
      expect(new Set(cs.map((k) => k.name)).size, `${area}: case names are unique`).toBe(cs.length);
      for (const k of cs) expect(k.wpt, `${area}: ${k.name}`).toMatch(/\S/);
    }
  });

  it('isoedge gives the expected value everywhere but the known, documented differences', () => {
    const detail = report.details.filter((d) => !(d.where in KNOWN_ISOEDGE)).map((d) => `${d.where}: expected ${JSON.stringify(d.expect)}, isoedge ${JSON.stringify(d.isoedge)}`);
    expect(fails('isoedgeFails'), detail.join('\n')).toEqual(Object.keys(KNOWN_ISOEDGE).sort());
  });

  it('workerd gives the expected value everywhere but its known differences', (ctx) => {
    if (typeof wd === 'string') {
      console.warn(`differential: workerd side skipped (${wd}); to get it: ${GET_WORKERD}`);
      ctx.skip();
    }
    expect(fails('workerdFails')).toEqual(Object.keys(KNOWN_WORKERD).sort());
  });

  it('isoedge and workerd answer alike except where one of them is known to be off', (ctx) => {
    if (typeof wd === 'string') ctx.skip();
    const differ = [...report.areas, ...report.apps].flatMap((r) => r.differ.map((n) => `${r.area}: ${n}`)).sort();
    const explained = new Set([...Object.keys(KNOWN_ISOEDGE), ...Object.keys(KNOWN_WORKERD)]);
    expect(differ.filter((d) => !explained.has(d))).toEqual([]);
  });
});
