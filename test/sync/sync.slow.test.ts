// Issue 7: 50 kubelet `..data` swaps of a source, some invalid. The host dir goes through exactly the valid
// states, each one atomic; a `run --config HOSTDIR` next to it applies each of them and never a mixed one.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createKubeletVolume } from '../helpers/kubelet-volume.js';
import { setHash } from '../../src/sync/set.js';
import { startAgentProcess, until, waitUntil, type LogLine } from '../helpers/agent-process.js';
import { readHostState, leftovers, startSyncProcess, type HostState } from './helpers.js';
import { onTestEnd, tempDir } from '../helpers/temp-dir.js';

const SWAPS = 50;
const isInvalid = (n: number): boolean => n % 6 === 3;

// Two files that must agree: each names a registry carrying the state's number. A reader that mixed two
// generations would see (or load) a-N with b-M.
function state(n: number): Record<string, string> {
  const mirror = `mirrors: [{url: "http://127.0.0.1:${10_000 + n}", probe: false}]`;
  return {
    'a.yaml': `registries:\n  reg-a-${n}.test:\n    ${mirror}\n`,
    // An invalid state breaks only the second file: copying file by file would leak its first half.
    'b.yaml': isInvalid(n)
      ? `registries:\n  reg-b-${n}.test:\n    mirrors: [{url: "ftp://bad-${n}"}]\n`
      : `registries:\n  reg-b-${n}.test:\n    ${mirror}\n`,
  };
}

/** The state number a pair of files shows, or a description of what is wrong with it. */
function marker(files: ReadonlyMap<string, { content: string }>): number | string {
  const a = /reg-a-(\d+)\.test/.exec(files.get('a.yaml')?.content ?? '')?.[1];
  const b = /reg-b-(\d+)\.test/.exec(files.get('b.yaml')?.content ?? '')?.[1];
  if (a === undefined || b === undefined || a !== b || files.size !== 2)
    return `mixed or partial: a=${a} b=${b} keys=${[...files.keys()].join(',')}`;
  return Number(a);
}

/** The status hash of a host state: what /status must report once the sync published it. */
function hashOf(state: HostState): string {
  return setHash(new Map([...state.files].map(([key, f]) => [key, { bytes: Buffer.from(f.content), mode: f.mode }])));
}

function loadedStates(logs: LogLine[]): Array<number | string> {
  return logs
    .filter((l) => l.event === 'config_loaded')
    .map((l) => {
      const names = (l.registries as string[]).join(',');
      const m = /^reg-a-(\d+)\.test,reg-b-(\d+)\.test$/.exec(names);
      return m !== null && m[1] === m[2] ? Number(m[1]) : `mixed: ${names}`;
    });
}

describe('sync: a source changed by kubelet swaps', () => {
  it(
    `publishes exactly the valid states of ${SWAPS} swaps, each as one ..data swap; run --config HOSTDIR applies each and no mixed one`,
    { timeout: 120_000 },
    async (t) => {
      const root = await tempDir(t, 'sync-swaps');
      const hostDir = join(root, 'cluster.d');
      const hostsDir = join(root, 'certs.d');
      const volume = await createKubeletVolume(join(root, 'configmap'), state(0));
      const sync = await startSyncProcess(t, [volume.dir], hostDir);
      await sync.waitForStatus('the first copy', (s) => s.ready);

      // A reader in a tight loop: every state the host dir ever shows through `..data`.
      const seen: Array<number | string> = [];
      let observing = true;
      t.after(() => (observing = false));
      const observer = (async () => {
        while (observing) {
          const s = await readHostState(hostDir);
          const m = s === undefined ? undefined : marker(s.files);
          if (m !== undefined && seen.at(-1) !== m) seen.push(m);
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();

      const agent = await startAgentProcess(['--cluster-config', hostDir, '--hosts-dir', hostsDir, '--state-dir', join(root, 'state')]);
      onTestEnd(t, () => agent.stop('SIGKILL'));
      // Loaded, and both hosts.toml files written: the agent applied the state.
      const applied = async (n: number): Promise<true | undefined> => {
        if (loadedStates(agent.logs()).at(-1) !== n) return undefined;
        const port = new RegExp(`127\\.0\\.0\\.1:${10_000 + n}`);
        for (const r of ['a', 'b']) {
          const text = await readFile(join(hostsDir, `reg-${r}-${n}.test`, 'hosts.toml'), 'utf8').catch(() => '');
          if (!port.test(text)) return undefined;
        }
        return true;
      };
      await waitUntil('the agent to apply state 0', () => applied(0));

      const valid = [0];
      let rejectedSeen = 0;
      for (let n = 1; n <= SWAPS; n++) {
        await volume.swap(state(n));
        if (isInvalid(n)) {
          rejectedSeen++;
          const readyz = await until(
            `state ${n} rejected`,
            () => sync.get('/readyz'),
            (r) => (r.code === 503 && r.body.includes(`reg-b-${n}.test`) ? r : undefined),
          );
          assert.match(
            readyz.body,
            new RegExp(`configmap/b\\.yaml: registries\\.reg-b-${n}\\.test\\.mirrors\\[0\\]\\.url: .*\\[CMA_CONFIG_FIELD\\]`),
            'the error names the --from file and the field',
          );
          assert.equal(marker((await readHostState(hostDir))!.files), valid.at(-1), 'the host keeps the last good set');
        } else {
          valid.push(n);
          // Wait for the content, not for the last pass's result: a later "unchanged" pass (a debounce split, a
          // resync) overwrites lastPass, and the previous state's status would pass a result-only check.
          const shown = await until(
            `state ${n} in the host dir`,
            () => readHostState(hostDir),
            (s) => (s !== undefined && marker(s.files) === n ? s : undefined),
          );
          await sync.waitForStatus(
            `state ${n} published`,
            (s) => s.ready && s.config.lastError === undefined && s.config.hash === hashOf(shown) && s.config.publishedAt !== undefined,
          );
          await waitUntil(`the agent to apply state ${n}`, () => applied(n), 10_000);
        }
      }
      observing = false;
      await observer;

      assert.deepEqual(seen, valid, 'the host dir showed exactly the valid states, in order, none mixed or partial');
      assert.deepEqual([...new Set(loadedStates(agent.logs()))], valid, 'the agent loaded exactly the valid states, none mixed');
      assert.deepEqual(await leftovers(hostDir), [], 'no generation, ..data_tmp or stale key link left behind');

      const rejectedLines = sync.logs().filter((l) => l.event === 'sync_rejected');
      assert.equal(rejectedLines.length, rejectedSeen, 'each rejected set is logged once');
      assert.match(
        await (await fetch(`http://${sync.listen}/metrics`)).text(),
        new RegExp(`containerd_mirror_agent_sync_rejected_sets_total\\{code="CMA_CONFIG_FIELD"\\} ${rejectedSeen}\\b`),
      );
      assert.equal(await sync.stop('SIGTERM'), 0, 'SIGTERM exits 0');
    },
  );
});
