export * from './errors.ts';
export * from './clock.ts';
export * from './rng.ts';
export * from './ids.ts';
export * from './bytes.ts';
export * from './headers.ts';
