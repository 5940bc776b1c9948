// A real NOTIFY_SOCKET for tests: a unix datagram socket bound by a python3 child that prints every datagram
// it receives as one JSON string per line.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const RECEIVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("BOUND", flush=True)
while True:
    print(json.dumps(s.recv(65536).decode()), flush=True)
`;

export interface NotifySocket {
  path: string;
  /** Datagrams received so far, each split into its assignments, BARRIER=1 datagrams left out. */
  messages(): string[][];
  /** Resolves once `count` datagrams (BARRIER=1 excluded) have arrived. */
  waitFor(count: number): Promise<string[][]>;
  close(): void;
}

export function python3Missing(): string | undefined {
  return spawnSync('python3', ['-c', 'import socket'], { stdio: 'ignore' }).status === 0
    ? undefined
    : 'needs python3 for a unix datagram socket';
}

export async function openNotifySocket(): Promise<NotifySocket> {
  const dir = mkdtempSync(join(tmpdir(), 'cma-notify-'));
  const path = join(dir, 'notify.sock');
  const child = spawn('python3', ['-c', RECEIVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const received: string[][] = [];
  const waiters: Array<() => void> = [];
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`notify receiver exited with ${code}`)));
    lines.on('line', (line) => {
      if (line === 'BOUND') return resolve();
      const datagram = JSON.parse(line) as string;
      if (datagram === 'BARRIER=1') return;
      received.push(datagram.split('\n'));
      for (const w of waiters.splice(0)) w();
    });
  });
  return {
    path,
    messages: () => received.map((m) => [...m]),
    waitFor: async (count) => {
      while (received.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      return received.map((m) => [...m]);
    },
    close: () => {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
