import { AgentError, AgentErrors, EXIT_RUNTIME } from '../errors.js';

/** The operator-facing lines of any error, and the exit status it maps to. */
export function errorLines(err: unknown): { lines: string[]; exitCode: number } {
  if (err instanceof AgentErrors) return { lines: err.errors.map((e) => e.toLine()), exitCode: err.exitCode };
  if (err instanceof AgentError) return { lines: [err.toLine()], exitCode: err.exitCode };
  return { lines: [`internal error: ${err instanceof Error ? err.message : String(err)}`], exitCode: EXIT_RUNTIME };
}
