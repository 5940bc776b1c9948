// Asks a running agent what it sees, over its --listen address.
import { fetchAgentStatus } from '../../observe/status-client.js';
import { formatStatusTable } from '../../observe/status-format.js';
import type { CommandFlags } from '../args.js';
import { EXIT_OK } from '../../errors.js';

export async function statusCommand(flags: CommandFlags): Promise<number> {
  const status = await fetchAgentStatus(flags.listen);
  process.stdout.write(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatusTable(status, new Date()));
  return EXIT_OK;
}
