// Asks a running agent what it sees, over its --listen address.
import { fetchAgentStatus } from '../../observe/status-client.js';
import { formatStatusTable } from '../../observe/status.js';
import type { CommonFlags } from '../args.js';

export async function statusCommand(flags: CommonFlags): Promise<number> {
  const status = await fetchAgentStatus(flags.listen);
  process.stdout.write(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatusTable(status, new Date()));
  return 0;
}
