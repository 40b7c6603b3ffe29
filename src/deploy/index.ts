export { Deployer, assertFunctionName, type DeployerDeps, type RolloutOptions, type Compiler, type Deployed } from './deployer.ts';
export { CompilePool } from './compile-pool.ts';
export { parseRevisionConfig, configFromQuery, mergeConfigPatch, checkHostMaximums, LIMIT_NAMES, type LimitName } from './revision-config.ts';
export type { CompileJsTask, CompileJsResult, CompileWasmTask, CompileWasmResult, CollectTask } from './compile.worker.ts';
