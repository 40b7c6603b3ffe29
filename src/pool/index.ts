export { HotSet, type PooledInstance, type HotSetOptions, type HotSetStats } from './hot-set.ts';
export { WarmPool, type WarmPoolOptions } from './warm-pool.ts';
