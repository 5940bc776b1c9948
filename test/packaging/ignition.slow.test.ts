// The Ignition install path (Flatcar, Fedora CoreOS): the committed .ign is exactly its Butane source
// converted, valid for Ignition spec 3.3.0, and runs the same agent command as the packaged unit.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { butaneToIgnition } from './butane.js';
import { missing, repoPath, run } from './tools.js';
import { tempDirSync } from '../helpers/temp-dir.js';

const BU = repoPath('packaging/ignition/containerd-mirror-agent.bu');
const IGN = repoPath('packaging/ignition/containerd-mirror-agent.ign');
const SCHEMA = repoPath('test/packaging/ignition-3.3.0-subset.schema.json');
const UNIT = readFileSync(repoPath('systemd/containerd-mirror-agent.service'), 'utf8');

interface Ignition {
  ignition: { version: string };
  storage: {
    directories: Array<{ path: string; mode: number }>;
    files: Array<{ path: string; mode: number; contents: { source: string } }>;
  };
  systemd: { units: Array<{ name: string; enabled: boolean; contents: string; dropins: Array<{ name: string; contents: string }> }> };
}

const converted = butaneToIgnition(readFileSync(BU, 'utf8'), repoPath('systemd'));
if (process.env.UPDATE_GOLDEN === '1') writeFileSync(IGN, `${JSON.stringify(converted, null, 2)}\n`);
const ign = JSON.parse(readFileSync(IGN, 'utf8')) as Ignition;

function pythonJsonschema(): string | undefined {
  const skip = missing('python3', 'runs the JSON-schema validator');
  if (skip) return skip;
  return run('python3', ['-c', 'import jsonschema']).code === 0
    ? undefined
    : 'python3-jsonschema not installed (`make package-deps` installs it as root)';
}

/** Validates `doc` against the spec subset with python3-jsonschema; returns its error, '' when valid. */
function schemaErrors(t: TestContext, doc: unknown): string {
  const file = join(tempDirSync(t, 'packaging-ign'), 'config.ign');
  writeFileSync(file, JSON.stringify(doc));
  const script =
    'import json,sys,jsonschema\ntry:\n  jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))\nexcept jsonschema.ValidationError as e:\n  print(e.message); sys.exit(1)';
  const r = run('python3', ['-c', script, file, SCHEMA]);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  return r.stdout.trim();
}

describe('Ignition', () => {
  it('the committed .ign is the Butane source converted (make update-ignition after editing either)', () => {
    assert.deepEqual(ign, converted);
  });

  it('validates against the Ignition 3.3.0 schema subset', (t) => {
    const skip = pythonJsonschema();
    if (skip) return t.skip(skip);
    assert.equal(schemaErrors(t, ign), '');
  });

  it('the schema check has teeth: a string mode and a misspelt key are rejected', (t) => {
    const skip = pythonJsonschema();
    if (skip) return t.skip(skip);
    const stringMode = structuredClone(ign) as unknown as { storage: { files: Array<Record<string, unknown>> } };
    stringMode.storage.files[0]!.mode = '0755';
    assert.match(schemaErrors(t, stringMode), /is not of type 'integer'/);
    const typo = structuredClone(ign) as unknown as { systemd: { units: Array<Record<string, unknown>> } };
    typo.systemd.units[0]!.content = 'x';
    assert.match(schemaErrors(t, typo), /Additional properties are not allowed/);
  });

  it('writes the executable, an owner-only config and the cluster.d directory with octal modes', () => {
    const file = (path: string) => ign.storage.files.find((f) => f.path === path);
    assert.equal(file('/opt/bin/containerd-mirror-agent')?.mode, 0o755);
    assert.match(file('/opt/bin/containerd-mirror-agent')!.contents.source, /^https:\/\//);
    assert.equal(file('/etc/containerd-mirror-agent/config.yaml')?.mode, 0o600);
    assert.deepEqual(ign.storage.directories, [{ path: '/etc/containerd-mirror-agent/cluster.d', mode: 0o750 }]);
  });

  it('enables the packaged unit, and its drop-in runs the packaged command from /opt/bin', () => {
    const [unit] = ign.systemd.units;
    assert.ok(unit);
    assert.equal(unit.name, 'containerd-mirror-agent.service');
    assert.equal(unit.enabled, true);
    assert.equal(unit.contents, UNIT);
    const packaged = /^ExecStart=(.*)$/m.exec(UNIT)?.[1];
    assert.ok(packaged);
    const lines = unit.dropins[0]!.contents.split('\n');
    assert.ok(lines.includes('ExecStart='), 'the drop-in clears ExecStart first');
    assert.ok(lines.includes(`ExecStart=${packaged.replace('/usr/bin/', '/opt/bin/')}`), 'same arguments as the packaged unit');
  });
});
