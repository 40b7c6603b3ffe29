/** Logging: the host's pino logger (logger.ts) and the per-function ring of recent lines with live subscribers (hub.ts). */
export { createLogger, type Logger } from './logger.ts';
export { LogHub, type LogEntry, type LogListener } from './hub.ts';
