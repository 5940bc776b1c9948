// The canary's reason when containerd does not read the agent's hosts dir, per containerd line (issue 23): a
// version 4 file is read like 3, and what each line makes of the file's version is named with its fix.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { likelyCause } from '../../src/cri/hosts-cause.js';
import type { ContainerdFacts } from '../../src/model.js';

const V2_1: ContainerdFacts = { version: { major: 2, minor: 1, patch: 9 } };
const V2_3: ContainerdFacts = { version: { major: 2, minor: 3, patch: 4 } };
const IMAGES = 'plugins."io.containerd.cri.v1.images".registry';

describe('likelyCause, per containerd line', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cma-hosts-cause-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function cause(text: string, facts: ContainerdFacts, dropIn?: string): Promise<{ reason: string | undefined; file: string }> {
    const own = await mkdtemp(join(dir, 'case-'));
    const hostsDir = join(own, 'hosts');
    await mkdir(hostsDir);
    const file = join(own, 'config.toml');
    if (dropIn !== undefined) await writeFile(join(own, 'drop.toml'), dropIn);
    await writeFile(file, text.replaceAll('HOSTS', hostsDir).replaceAll('DROPIN', join(own, 'drop.toml')));
    const reason = await likelyCause({
      hostsDir,
      registries: ['cma-canary.invalid'],
      containerdConfig: file,
      restartPending: false,
      facts,
    });
    return { reason, file };
  }

  it("finds nothing wrong with a version 4 file that sets the agent's config_path on 2.3, and says config_path is unset when it is", async () => {
    assert.equal((await cause(`version = 4\n[${IMAGES}]\n  config_path = "HOSTS"\n`, V2_3)).reason, undefined);
    const unset = await cause(`version = 4\n[${IMAGES}]\n  config_path = ""\n`, V2_3);
    assert.equal(unset.reason, `config_path unset in ${unset.file}`);
  });

  it('names a version 4 file on 2.1, which does not start with it, and the version to write', async () => {
    const { reason, file } = await cause(`version = 4\n[${IMAGES}]\n  config_path = "HOSTS"\n`, V2_1);
    assert.equal(
      reason,
      `${file}: version: version 4 needs containerd 2.3 or later, this node runs 2.1.9, which does not start with this file; rewrite it as version 3, the layout this containerd's \`containerd config default\` prints`,
    );
  });

  it('on 2.3 names the version 2 registry table of a version 3 file, whose config_path wins; on 2.1 it is ignored', async () => {
    const text = `version = 3\n[${IMAGES}]\n  config_path = "HOSTS"\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/srv/old"\n`;
    const on23 = await cause(text, V2_3);
    assert.match(
      on23.reason ?? '',
      new RegExp(`^${on23.file}: plugins\\."io\\.containerd\\.grpc\\.v1\\.cri"\\.registry: .*containerd 2\\.3 migrates it`),
    );
    assert.match(on23.reason ?? '', /; move what it holds into \[plugins\."io\.containerd\.cri\.v1\.images"\.registry\] and delete it$/);
    assert.equal((await cause(text, V2_1)).reason, undefined);
  });

  it('names a drop-in newer than config.toml: 2.3 does not start, 2.1 drops the registry table, unknown says both', async () => {
    const text = `version = 2\nimports = ["DROPIN"]\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "HOSTS"\n`;
    const on21 = await cause(text, V2_1, 'version = 3\n');
    assert.match(
      on21.reason ?? '',
      /: version: is 3, higher than version 2 of .*: containerd 2\.1\.9 then reads the registry table of .* no more/,
    );
    const unknown = await cause(text, {}, 'version = 3\n');
    assert.match(unknown.reason ?? '', /containerd 2\.0-2\.2 then read the registry table of .* no more .*, and 2\.3 does not start/);
    const { reason } = await cause(text, V2_3, 'version = 3\n');
    assert.match(
      reason ?? '',
      /^a drop-in wins over config\.toml: .*drop\.toml: version: is 3, higher than version 2 of .*containerd 2\.3\.4 does not start/,
    );
  });
});
