export { Deployer, assertFunctionName, type DeployerDeps, type RolloutOptions } from './deployer.ts';
export { parseRevisionConfig, configFromQuery, mergeConfigPatch, checkHostMaximums, LIMIT_NAMES, type LimitName } from './revision-config.ts';
export type { CompileJsTask, CompileJsResult, CompileWasmTask, CompileWasmResult, CollectTask } from './compile.worker.ts';
export const COMPILE_WORKER_URL = new URL('./compile.worker.ts', import.meta.url);
