// One JSON line per event on stdout. Under systemd, each line starts with its syslog priority so journald
// stores the right PRIORITY and `journalctl -p warning` shows failovers (sd-daemon(3) prefixes).

import { fstatSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { AgentError } from '../errors.js';
import { redactDeep, redactText } from './redact.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

const PRIORITY: Record<string, number> = { fatal: 2, error: 3, warn: 4, info: 6, debug: 7, trace: 7 };

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
  const journal = writesToJournal(destination, env.JOURNAL_STREAM);
  const secrets = options.secrets;
  return pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
      },
      hooks: {
        // The finished line is the one place where bindings of child loggers, serialized errors and the
        // message are all present, so redaction happens here, on the parsed line.
        streamWrite: (line) => {
          const keyed = JSON.stringify(redactDeep(JSON.parse(line))) + '\n';
          const clean = secrets === undefined ? keyed : redactText(keyed, withJsonForms(secrets()));
          return journal ? priorityPrefix(clean) + clean : clean;
        },
      },
    },
    typeof destination === 'number' ? pino.destination({ dest: destination, sync: true }) : destination,
  );
}

// A secret holding `"` or `\` appears escaped inside a JSON string.
function withJsonForms(secrets: Iterable<string>): string[] {
  const out: string[] = [];
  for (const s of secrets) out.push(s, JSON.stringify(s).slice(1, -1));
  return out;
}

function priorityPrefix(line: string): string {
  const label = /^\{"level":"(\w+)"/.exec(line)?.[1];
  return `<${label === undefined ? 6 : (PRIORITY[label] ?? 6)}>`;
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
