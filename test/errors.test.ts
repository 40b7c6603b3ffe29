import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, EdgeError } from '../src/core/errors.ts';

describe('error codes', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  it.each(Object.entries(ERROR_CODES))('%s is documented with its status', (code, { status }) => {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\` `));
    expect(row, `docs/errors.md row for ${code}`).toBeDefined();
    expect(row).toContain(`| ${status} |`);
  });

  it('documents no code that does not exist', () => {
    const documented = [...doc.matchAll(/^\| `(EDGE_ERR_[A-Z_]+)` /gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('carries code, status and message', () => {
    const e = new EdgeError('EDGE_ERR_FUNCTION_NOT_FOUND', 'no function named "x"');
    expect(e.statusCode).toBe(404);
    expect(e.toJSON()).toEqual({ code: 'EDGE_ERR_FUNCTION_NOT_FOUND', message: 'no function named "x"' });
  });
});
