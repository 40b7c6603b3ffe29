/** The guest runtime's source, read once per thread: web.js (Web APIs) then prelude.js (bridge). */
import { readFileSync } from 'node:fs';

const read = (name: string): string => readFileSync(new URL(`./guest/${name}`, import.meta.url), 'utf8');

export const PRELUDE_SOURCE = `${read('web.js')}\n${read('prelude.js')}`;
