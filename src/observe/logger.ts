// One JSON line per event on stdout. Under systemd, each line starts with its syslog priority so journald
// stores the right PRIORITY and `journalctl -p warning` shows failovers (sd-daemon(3) prefixes).
// Our own writer rather than pino: the agent logs events, not a request stream, and every line is redacted
// as a whole anyway, so pino's speed went unused while its modules cost 9 MiB of RSS (docs/development.md,
// "Why these dependencies"). The line keeps pino's shape (level, time, pid, hostname, fields, msg) for log pipelines.

import { fstatSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { AgentError } from '../errors.js';
import type { LogFn, Logger } from '../model.js';
import { redactDeep, redactText } from './redact.js';

export type { Logger } from '../model.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
type Level = (typeof LOG_LEVELS)[number];

const PRIORITY: Record<Level, number> = { fatal: 2, error: 3, warn: 4, info: 6, debug: 7, trace: 7 };

export interface LoggerOptions {
  /** A stream, or a file descriptor written synchronously (default 1, stdout). */
  destination?: NodeJS.WritableStream | number;
  /** Default: `LOG_LEVEL` from env, else `info`. */
  level?: string;
  env?: NodeJS.ProcessEnv;
  /** Credential values currently known (see credentialSecrets); scrubbed from every line, messages included. */
  secrets?: () => Iterable<string>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const destination = options.destination ?? 1;
  const level = options.level ?? env.LOG_LEVEL ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new AgentError('CMA_USAGE', `unknown log level "${level}"; use one of ${LOG_LEVELS.join(', ')}`, { field: 'LOG_LEVEL' });
  }
  const threshold = LOG_LEVELS.indexOf(level as Level);
  const journal = writesToJournal(destination, env.JOURNAL_STREAM);
  const secrets = options.secrets;
  const base = { pid: process.pid, hostname: hostname() };
  const write = (text: string): void => {
    if (typeof destination === 'number') writeAll(destination, Buffer.from(text));
    else destination.write(text);
  };

  const prefixed = (name: Level, line: object): string => {
    const keyed = JSON.stringify(line) + '\n';
    const clean = secrets === undefined ? keyed : redactText(keyed, withJsonForms(secrets()));
    return journal ? `<${PRIORITY[name]}>${clean}` : clean;
  };
  // Plain data from the start: redactDeep (redact.ts) reads each value once, whatever it holds.
  const make = (bindings: Record<string, unknown>): Logger => {
    const at = (name: Level): LogFn => {
      if (LOG_LEVELS.indexOf(name) > threshold) return () => undefined;
      return (first: object | string, message?: string): void => {
        const time = new Date().toISOString();
        try {
          const fields = typeof first === 'string' ? {} : asRecord(redactDeep(first instanceof Error ? { err: first } : first));
          // An Error logged on its own speaks for itself: its (serialised, never re-read) message is the line's.
          const errMessage = first instanceof Error ? (fields.err as { message?: unknown }).message : undefined;
          const msg = typeof first === 'string' ? first : (message ?? (typeof errMessage === 'string' ? errMessage : undefined));
          write(prefixed(name, { level: name, time, ...base, ...bindings, ...fields, ...(msg === undefined ? {} : { msg }) }));
        } catch (err) {
          // A logged value must never become the caller's exception (an unhandled rejection in a catch block).
          // What failed is said without the line's data, which is what could not be made safe.
          try {
            write(
              prefixed(name, {
                level: name,
                time,
                ...base,
                event: 'log_failed',
                msg: `a log line could not be written: ${errorName(err)}`,
              }),
            );
          } catch {
            // The destination itself fails (stdout closed): nothing is left to tell.
          }
        }
      };
    };
    return {
      fatal: at('fatal'),
      error: at('error'),
      warn: at('warn'),
      info: at('info'),
      debug: at('debug'),
      trace: at('trace'),
      child: (more) => make({ ...bindings, ...asRecord(redactDeep(more)) }),
      flush: () => undefined,
    };
  };
  return make({});
}

/**
 * An error's message for a log line's text, never throwing: a call site that logs whatever a catch got (an
 * internal error, a failed request) must not fail on an odd value (a getter or toString that throws).
 */
export function describeError(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err);
  } catch {
    return 'an error that cannot be shown as text';
  }
}

/** Log fields as an object: a value that is not one (an array, a toJSON answer) goes under `fields`. */
function asRecord(data: unknown): Record<string, unknown> {
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : { fields: data };
}

/** `RangeError`, `EPIPE`...: what kind of failure, never its text (it may quote the data). */
function errorName(err: unknown): string {
  try {
    const { name, code } = err as { name?: unknown; code?: unknown };
    return [name, code].filter((p) => typeof p === 'string').join(' ') || typeof err;
  } catch {
    return 'unknown';
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Synchronous, so nothing is lost at exit. A pipe that libuv made non-blocking (once anything touched
 * process.stdout) may take part of a line or none (EAGAIN) while the reader lags: wait a moment and go on.
 */
function writeAll(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}

// A secret holding `"` or `\` appears escaped inside a JSON string.
function withJsonForms(secrets: Iterable<string>): string[] {
  const out: string[] = [];
  for (const s of secrets) out.push(s, JSON.stringify(s).slice(1, -1));
  return out;
}

/**
 * JOURNAL_STREAM is inherited by children whose stdout may be redirected elsewhere: for a file descriptor,
 * prefix only when it is the very stream journald handed us (device:inode match, as sd-daemon(3) advises).
 */
function writesToJournal(destination: NodeJS.WritableStream | number, journalStream: string | undefined): boolean {
  if (journalStream === undefined || journalStream === '') return false;
  if (typeof destination !== 'number') return true;
  try {
    const st = fstatSync(destination, { bigint: true });
    return journalStream === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}
