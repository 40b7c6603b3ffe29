export { HotSet, type PooledInstance, type HotSetOptions, type HotSetStats } from './hot-set.ts';
export { WarmPool, type WarmPoolOptions } from './warm-pool.ts';
export { IdleWork, type IdleJob, type IdleQueue, type IdleWorkOptions } from './idle-work.ts';
