export { LogHub, type LogEntry, type LogListener } from './hub.ts';
