/** The host's pino logger: JSON lines on stdout, one level for everything. */
import { pino, type Logger, type DestinationStream } from 'pino';

export function createLogger(level: string, dest?: DestinationStream): Logger {
  return pino({ level, base: { svc: 'isoedge' }, timestamp: pino.stdTimeFunctions.isoTime }, dest);
}

export type { Logger };
