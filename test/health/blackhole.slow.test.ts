// The blackhole helper adds real iptables rules: these tests prove it removes exactly what it added, also
// when the test process dies, and that it refuses anything but a loopback address.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { blackhole, canBlackhole } from '../helpers/blackhole.js';
import { refusedPort } from '../helpers/servers.js';

const run = promisify(execFile);
const rulesNamed = async (id: string): Promise<string[]> =>
  (await run('iptables', ['-w', '-S', 'OUTPUT'])).stdout.split('\n').filter((line) => line.includes(id));

describe('blackhole helper', () => {
  it('refuses an address that is not loopback', async () => {
    await assert.rejects(blackhole('10.0.0.1', 5000), /loopback/);
    await assert.rejects(blackhole('localhost', 5000), /loopback/);
  });

  it('adds one DROP rule with its own comment and removes exactly that rule', async (t) => {
    const availability = await canBlackhole();
    if (!availability.ok) return t.skip(availability.reason);
    const { port } = await refusedPort({ host: '127.0.0.9' });
    const rule = await blackhole('127.0.0.9', port);
    const other = await blackhole('127.0.0.9', port);
    try {
      const added = await rulesNamed(rule.id);
      assert.equal(added.length, 1);
      assert.match(added[0] ?? '', new RegExp(`-d 127\\.0\\.0\\.9/32 -p tcp .*--dport ${port} .*-j DROP`));
      await rule.remove();
      await rule.remove(); // a second remove is a no-op, not an error
      assert.deepEqual(await rulesNamed(rule.id), []);
      assert.equal((await rulesNamed(other.id)).length, 1, 'the other rule on the same address and port stays');
    } finally {
      await rule.remove();
      await other.remove();
    }
  });

  for (const ending of ['exit', 'SIGTERM'] as const) {
    it(`a process that ends by ${ending} with a rule in place leaves no rule behind`, async (t) => {
      const availability = await canBlackhole();
      if (!availability.ok) return t.skip(availability.reason);
      const { port } = await refusedPort({ host: '127.0.0.9' });
      const dir = await mkdtemp(join(tmpdir(), 'cma-blackhole-'));
      const helper = fileURLToPath(new URL('../helpers/blackhole.ts', import.meta.url));
      const script = join(dir, 'child.mts');
      await writeFile(
        script,
        `import { blackhole } from ${JSON.stringify(helper)};\n` +
          `const rule = await blackhole('127.0.0.9', ${port});\n` +
          `console.log(rule.id);\n` +
          (ending === 'exit' ? 'process.exit(0);\n' : 'setInterval(() => undefined, 1000);\n'),
      );
      const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let id = '';
      try {
        const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
        id = chunk.toString().trim();
        assert.match(id, /^cma-test-\d+-[0-9a-f]+$/);
        if (ending === 'SIGTERM') {
          assert.equal((await rulesNamed(id)).length, 1);
          child.kill('SIGTERM');
        }
        const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
        assert.deepEqual([code, signal], ending === 'exit' ? [0, null] : [null, 'SIGTERM']);
        assert.deepEqual(await rulesNamed(id), []);
      } finally {
        child.kill('SIGKILL');
        // If the helper failed, do not leave its rule for the next test.
        for (const line of id === '' ? [] : await rulesNamed(id)) await run('iptables', ['-w', ...line.replace(/^-A /, '-D ').split(' ')]);
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
