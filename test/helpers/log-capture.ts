// A logger writing into memory, for tests that read what was logged: its lines, or each line parsed.
import { PassThrough } from 'node:stream';
import { createLogger, type LoggerOptions } from '../../src/observe/logger.js';
import type { Logger } from '../../src/model.js';

export interface LogEntry {
  level: string;
  msg: string;
  [key: string]: unknown;
}

/** `env` defaults to empty (so LOG_LEVEL of the test's own environment does not leak in). */
export function captureLog(options: Omit<LoggerOptions, 'destination'> = {}): {
  logger: Logger;
  lines: () => string[];
  entries: () => LogEntry[];
} {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  const logger = createLogger({ env: {}, ...options, destination: stream });
  const lines = (): string[] =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '');
  return { logger, lines, entries: () => lines().map((l) => JSON.parse(l) as LogEntry) };
}
