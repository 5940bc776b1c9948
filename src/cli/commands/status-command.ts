// Asks a running agent what it sees, over its --listen address. An agent that refuses connections may be
// starting (`run &` then `status`, as the Quick start pastes it): ask again for up to --wait, saying so once.
import { fetchAgentStatus } from '../../observe/status-client.js';
import { formatStatusTable, type AgentStatus } from '../../observe/status-format.js';
import type { CommandFlags } from '../args.js';
import { AgentError, EXIT_OK } from '../../errors.js';
import { realClock } from '../../clock.js';

const RETRY_MS = 250;

/** Nothing listens yet: the one failure that a starting agent explains. Any other answer is final. */
function refused(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ((e as NodeJS.ErrnoException).code === 'ECONNREFUSED') return true;
  }
  return false;
}

async function statusWhenUp(listen: string, waitMs: number): Promise<AgentStatus> {
  const deadline = realClock.monotonic() + waitMs;
  let said = false;
  for (;;) {
    try {
      return await fetchAgentStatus(listen);
    } catch (err) {
      if (!(err instanceof AgentError) || !refused(err) || realClock.monotonic() + RETRY_MS > deadline) throw err;
      if (!said) process.stderr.write(`no agent answers at ${listen} yet; waiting up to ${waitMs / 1000}s for it to start\n`);
      said = true;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

export async function statusCommand(flags: CommandFlags): Promise<number> {
  const status = await statusWhenUp(flags.listen, flags.waitMs);
  process.stdout.write(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatusTable(status, new Date()));
  return EXIT_OK;
}
