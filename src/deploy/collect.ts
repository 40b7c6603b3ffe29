/**
 * A compile thread finalises its finished tasks' isolated-vm handles once it has been idle this
 * long (compile.worker.ts); the host waits at least as long after the last task before ending it.
 */
export const COLLECT_AFTER_IDLE_MS = 100;
