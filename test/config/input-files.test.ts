// Issue 10, the loader's side of untrusted files: a FIFO (or other non-regular file) anywhere a path is named
// fails the load at once instead of hanging it (defect 7), a `.dockerconfigjson` parse error never quotes a
// value (defect 6), and a later file may switch a credential's form (defect 20). Real FIFOs, real files.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { AgentErrors } from '../../src/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { tempDir, writeTree } from '../helpers/temp-dir.js';

const SECRET = 'Hunter2-s3cret';

async function loadFailure(sources: string[]): Promise<AgentErrors> {
  // A load that blocked on a FIFO would never settle: the test's own timeout is the proof of a hang.
  const err = await loadConfig(sources).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof AgentErrors, `expected AgentErrors, got ${String(err)}`);
  return err;
}

function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

describe('loadConfig: non-regular files never block the loader', { timeout: 20_000 }, () => {
  for (const where of ['credentials', 'ca', 'client cert']) {
    it(`a FIFO named as ${where} is refused, naming the config file and the field`, async (t) => {
      const dir = await tempDir(t);
      const fifo = join(dir, 'pipe');
      mkfifo(fifo);
      await writeTree(dir, { 'key.pem': 'k' });
      const body = {
        credentials: `credentials: [${fifo}]\n`,
        ca: `registries:\n  r.io:\n    ca: ${fifo}\n`,
        'client cert': `registries:\n  r.io:\n    client: [{cert: ${fifo}, key: ${join(dir, 'key.pem')}}]\n`,
      }[where];
      await writeTree(dir, { 'c.yaml': body ?? '' });
      const err = await loadFailure([join(dir, 'c.yaml')]);
      const line = err.errors.map((e) => e.toLine()).join('\n');
      assert.match(line, /not a regular file/);
      assert.ok(
        err.errors.every((e) => e.file === join(dir, 'c.yaml')),
        line,
      );
      assert.ok(
        err.errors.every((e) => e.code === 'CMA_CONFIG_FILE_REF'),
        line,
      );
    });
  }

  it('a FIFO as the --config file, or as a key of a --config directory, is refused', async (t) => {
    const dir = await tempDir(t);
    mkfifo(join(dir, 'a.yaml'));
    await writeTree(dir, { 'b.yaml': 'registries: {}\n' });
    const asFile = await loadFailure([join(dir, 'a.yaml')]);
    assert.equal(asFile.errors[0]?.code, 'CMA_CONFIG_READ');
    const asKey = await loadFailure([dir]);
    assert.equal(asKey.errors[0]?.file, join(dir, 'a.yaml'));
    assert.match(asKey.errors[0]?.message ?? '', /not a regular file/);
  });

  it('a character device (/dev/zero, endless) is refused as credentials', async (t) => {
    const dir = await tempDir(t);
    await writeTree(dir, { 'c.yaml': 'credentials: [/dev/zero]\n' });
    const err = await loadFailure([join(dir, 'c.yaml')]);
    assert.match(err.errors[0]?.message ?? '', /not a regular file/);
  });
});

describe('loadConfig: .dockerconfigjson parse errors', () => {
  for (const [name, value] of [
    ['an unresolved alias', `*${SECRET}`],
    ['a block scalar', `|${SECRET}`],
    ['a folded scalar', `>${SECRET}`],
    ['an unquoted word', SECRET],
  ] as const) {
    it(`${name} as a password: named by file, line and field, the value never shown`, async (t) => {
      const dir = await tempDir(t);
      await writeTree(dir, {
        'c.yaml': `credentials: [${join(dir, 'pull')}]\n`,
        'pull/.dockerconfigjson': `{"auths": {"r.io": {"username": "bob", "password": ${value}}}}`,
      });
      const err = await loadFailure([join(dir, 'c.yaml')]);
      const e = err.errors[0];
      assert.equal(e?.code, 'CMA_CONFIG_SYNTAX', err.message);
      assert.equal(e?.file, join(dir, 'pull/.dockerconfigjson'));
      assert.match(e?.message ?? '', /at line 1, column \d+/);
      assert.match(e?.field ?? '', /auths\.r\.io/);
      assert.ok(!err.message.includes(SECRET), err.message);
      assert.ok(!err.message.includes('internal error'), err.message);
    });
  }
});

describe('loadConfig: later files win for auth', () => {
  it('a later file switches a credential from basic to identityToken, and back', async (t) => {
    const dir = await tempDir(t);
    await writeTree(dir, {
      'a.yaml': 'registries:\n  r.io:\n    auth: {username: bob, password: pw-one}\n',
      'b.yaml': 'registries:\n  r.io:\n    auth: {identityToken: tok-two}\n',
      'c.yaml': 'registries:\n  q.io:\n    auth: {identityToken: tok-three}\n',
      'd.yaml': 'registries:\n  q.io:\n    auth: {username: alice, password: pw-four}\n',
    });
    const { config } = await loadConfig([dir]);
    const auth = Object.fromEntries(config.registries.map((r) => [r.name, r.auth]));
    assert.deepEqual(auth['r.io'], { kind: 'identityToken', identityToken: 'tok-two' });
    assert.deepEqual(auth['q.io'], { kind: 'basic', username: 'alice', password: 'pw-four' });
  });

  it('a later Giant Swarm file switches the form of a native credential', async (t) => {
    const dir = await tempDir(t);
    await writeTree(dir, {
      'a.yaml': 'registries:\n  r.io:\n    auth: {username: bob, password: pw-one}\n',
      'b.yaml': 'containerRegistries:\n  r.io:\n    - endpoint: r.io\n      credentials: {identitytoken: tok-two}\n',
    });
    const { config } = await loadConfig([dir]);
    assert.deepEqual(config.registries[0]?.auth, { kind: 'identityToken', identityToken: 'tok-two' });
  });
});
