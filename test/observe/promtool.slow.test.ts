// What Prometheus' own linter says of a live /metrics (issue 24): `promtool check metrics` on the scrape of a
// running agent in each state an operator alerts on (mirror up, failed over to upstream-only, config rejected),
// with the process metrics under the names every dashboard uses.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { startAgentFixture } from '../helpers/agent-fixture.js';
import { switchableServer } from '../helpers/servers.js';
import { onTestEnd } from '../helpers/temp-dir.js';
import { missing, run } from '../packaging/tools.js';

const absent = missing('promtool', 'Debian package prometheus') !== undefined;
// As root `make test-deps` installs it (test/setup/install-debian-deps.sh): missing there is a failure.
const skip =
  absent && process.getuid?.() !== 0 ? 'promtool not installed (Debian package prometheus; `make test-deps` installs it as root)' : false;

const P = 'containerd_mirror_agent_';
const STANDARD = ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'process_open_fds'];

function promtoolCheck(body: string): void {
  const r = run('promtool', ['check', 'metrics'], { input: body });
  assert.equal(r.code, 0, `promtool check metrics: ${r.stdout}${r.stderr}\n--- scrape ---\n${body}`);
}

describe('promtool check metrics on a live scrape', { skip }, () => {
  it('accepts /metrics with the mirror up, failed over to upstream-only, and with the config rejected', async (t) => {
    assert.ok(!absent, 'promtool not installed: run `make test-deps` (Debian package prometheus)');
    const mirror = await switchableServer(200);
    onTestEnd(t, () => mirror.close());
    const { agent, source } = await startAgentFixture(
      t,
      (hostsDir) => `hostsDir: ${hostsDir}
probe: {interval: 200ms, timeout: 150ms, failureThreshold: 2, successThreshold: 2}
registries:
  docker.io:
    mirrors:
      - url: ${mirror.url}
`,
    );
    const scrape = async (sample: string): Promise<string> => {
      const body = await agent.metrics();
      assert.ok(body.split('\n').includes(sample), `missing ${sample}`);
      for (const name of STANDARD) assert.match(body, new RegExp(`^${name} \\d`, 'm'), name);
      promtoolCheck(body);
      return body;
    };

    await agent.waitForStatus('the mirror up', (s) => s.registries[0]?.mode === 'mirror');
    await scrape(`${P}registry_mode{registry="docker.io",mode="mirror"} 1`);

    await mirror.stop();
    await agent.waitForStatus('failover', (s) => s.registries[0]?.mode === 'upstream');
    const failed = await scrape(`${P}registry_mode{registry="docker.io",mode="upstream"} 1`);
    assert.ok(failed.includes(`${P}mirror_up{registry="docker.io",mirror="${mirror.url}"} 0`));

    await writeFile(source, 'registries:\n  docker.io:\n    mirrors: [{url: "ftp://nope"}]\n');
    await agent.waitForStatus('the rejection', (s) => s.config.lastError !== undefined);
    await scrape(`${P}config_rejected 1`);
  });
});
