/** Names and identifiers: the rules the admin API validates and the edge relies on. */
export const FUNCTION_NAME_RE = /^[a-z][a-z0-9-]{0,62}$/;
export const REVISION_NAME_RE = /^[a-z][a-z0-9-]{0,62}-\d{5}$/;
/** Incoming request ids are trusted only when short and plain (style habit 10). */
export const REQUEST_ID_RE = /^[\w=-]{1,64}$/;

export function revisionName(fn: string, seq: number): string {
  return `${fn}-${String(seq).padStart(5, '0')}`;
}

export function isFunctionName(s: string): boolean {
  return FUNCTION_NAME_RE.test(s);
}
