export { Deployer, assertFunctionName, type DeployerDeps, type RolloutOptions, type Compiler, type Deployed } from './deployer.ts';
export { CompilePool } from './compile-pool.ts';
export { parseRevisionConfig, configFromQuery, mergeConfigPatch, checkHostMaximums, LIMIT_NAMES, CONFIG_FIELDS, COMPATIBILITY_FLAGS, type LimitName } from './revision-config.ts';
export { cronProblem, parseCron, nextCronTime, MAX_CRONS, type CronSchedule } from './cron.ts';
export type { CompileJsTask, CompileJsResult, CompileWasmTask, CompileWasmResult, CollectTask } from './compile.worker.ts';
