/**
 * Regenerates the tables that mirror code: the error table of docs/errors.md (from
 * src/core/errors.ts) and the configuration tables of README.md and
 * docs/configuration.md (from src/config/schema.ts). Run after changing either:
 *
 *   node scripts/gen-docs.ts
 *
 * test/errors.test.ts and test/config.test.ts fail when the documents drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../src/core/errors.ts';
import { OPTIONS } from '../src/config/index.ts';

const file = (rel: string) => fileURLToPath(new URL(`../${rel}`, import.meta.url));

/** Replaces the markdown table that starts with `header` (up to the first blank line) by `rows`. */
function replaceTable(path: string, header: string, rows: string[]): void {
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(header);
  if (start === -1) throw new Error(`${path}: no table starting with ${header}`);
  const end = text.indexOf('\n\n', start);
  const sep = '|' + header.split('|').slice(1, -1).map(() => '---').join('|') + '|';
  writeFileSync(path, text.slice(0, start) + [header, sep, ...rows].join('\n') + (end === -1 ? '\n' : text.slice(end)));
}

export function configRows(): string[] {
  return OPTIONS.map((o) => {
    const doc = o.type === 'bool' ? `${o.doc} \`--no-${o.flag.slice(2)}\` turns it off.` : o.doc;
    return `| \`${o.key}\` | \`${o.env}\` | \`${o.flag}\` | \`${JSON.stringify(o.default)}\` | ${doc} |`;
  });
}

export function errorRows(): string[] {
  return Object.entries(ERROR_CODES).map(([c, v]) => `| \`${c}\` | ${v.status} | ${v.meaning} |`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  replaceTable(file('docs/errors.md'), '| code | HTTP status | meaning |', errorRows());
  for (const doc of ['README.md', 'docs/configuration.md']) replaceTable(file(doc), '| key | environment | flag | default | meaning |', configRows());
  process.stdout.write('regenerated the error and configuration tables\n');
}
