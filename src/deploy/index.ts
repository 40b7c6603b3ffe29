export { Deployer, assertFunctionName, type DeployerDeps } from './deployer.ts';
export { parseRevisionConfig, configFromQuery } from './revision-config.ts';
export type { CompileJsTask, CompileJsResult } from './compile.worker.ts';
export const COMPILE_WORKER_URL = new URL('./compile.worker.ts', import.meta.url);
