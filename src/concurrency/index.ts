export { Breaker, type BreakerOptions } from './breaker.ts';
