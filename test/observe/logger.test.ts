import assert from 'node:assert/strict';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLogger, describeError } from '../../src/observe/logger.js';
import { captureLog } from '../helpers/log-capture.js';
import { credentialSecrets, redactText, redactUrl } from '../../src/observe/redact.js';

const PASSWORD = 's3cr"et\\Pa55-word';

function capture(env: NodeJS.ProcessEnv, secrets?: () => string[]) {
  return captureLog({ level: 'debug', env, ...(secrets ? { secrets } : {}) });
}

describe('logger', () => {
  it('prefixes each line with its syslog priority when JOURNAL_STREAM is set', () => {
    const { logger, lines } = capture({ JOURNAL_STREAM: '8:1234' });
    logger.fatal('f');
    logger.error('e');
    logger.warn('mirror http://127.0.0.1:5001 of docker.io is down');
    logger.info('i');
    logger.debug('d');
    const out = lines();
    assert.deepEqual(
      out.map((l) => l.slice(0, 3)),
      ['<2>', '<3>', '<4>', '<6>', '<7>'],
    );
    const parsed = JSON.parse(out[2]!.slice(3)) as { level: string; msg: string };
    assert.equal(parsed.level, 'warn');
    assert.equal(parsed.msg, 'mirror http://127.0.0.1:5001 of docker.io is down');
  });

  it('writes plain JSON lines without JOURNAL_STREAM', () => {
    const { logger, lines } = capture({});
    logger.warn({ registry: 'docker.io' }, 'down');
    const [line] = lines();
    assert.ok(line!.startsWith('{'), line);
    assert.equal((JSON.parse(line!) as { registry: string }).registry, 'docker.io');
  });

  it('prefixes a file descriptor only when it is the stream journald gave (device:inode)', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cma-log-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const write = (journalStream: string, name: string): string => {
      const file = join(dir, name);
      const fd = openSync(file, 'w');
      try {
        const st = fstatSync(fd, { bigint: true });
        createLogger({ destination: fd, env: { JOURNAL_STREAM: journalStream.replace('SELF', `${st.dev}:${st.ino}`) } }).warn('w');
      } finally {
        closeSync(fd);
      }
      return readFileSync(file, 'utf8');
    };
    assert.ok(write('SELF', 'match.log').startsWith('<4>{'));
    assert.ok(write('1:2', 'other.log').startsWith('{'));
  });

  it('redacts credential keys at any depth, in bindings and in errors', () => {
    const { logger, lines } = capture({});
    const child = logger.child({ token: PASSWORD });
    const err = Object.assign(new Error('pull failed'), { config: { Authorization: `Basic ${PASSWORD}` } });
    child.info(
      {
        registry: {
          name: 'docker.io',
          auth: { username: 'u', password: PASSWORD },
          mirrors: [{ url: 'http://m', identityToken: PASSWORD, identitytoken: PASSWORD }],
        },
        headers: { authorization: PASSWORD },
        err,
      },
      'loaded',
    );
    const [line] = lines();
    assert.ok(!line!.includes('Pa55'), line);
    const parsed = JSON.parse(line!) as { token: string; registry: unknown; headers: unknown; err: { message: string; config: unknown } };
    assert.equal(parsed.token, '[REDACTED]');
    assert.deepEqual(parsed.registry, {
      name: 'docker.io',
      auth: '[REDACTED]',
      mirrors: [{ url: 'http://m', identityToken: '[REDACTED]', identitytoken: '[REDACTED]' }],
    });
    assert.deepEqual(parsed.headers, { authorization: '[REDACTED]' });
    assert.deepEqual(parsed.err.config, { Authorization: '[REDACTED]' });
    assert.equal(parsed.err.message, 'pull failed');
  });

  it('scrubs known secret values from messages and free text, JSON-escaped or not', () => {
    const secrets = credentialSecrets({ kind: 'basic', username: 'bob', password: PASSWORD });
    const { logger, lines } = capture({}, () => secrets);
    logger.error(new Error(`restart failed: auth ${secrets[1]!} for bob:${PASSWORD}`));
    logger.warn({ stderr: `password is ${PASSWORD}` }, `child said ${PASSWORD}`);
    const out = lines().join('\n');
    assert.equal(lines().length, 2);
    assert.ok(!out.includes('Pa55'), out);
    assert.ok(!out.includes(secrets[1]!), out);
    assert.match(out, /\[REDACTED\]/);
  });

  it('writes what pino would not choke on: a cycle as [Circular], a BigInt as digits, a throwing getter, still redacted', () => {
    const { logger, lines } = capture({}, () => [PASSWORD]);
    const err = Object.assign(new Error('pull failed'), { password: PASSWORD, bytes: 2n ** 70n });
    Object.assign(err, { self: err, config: { auth: PASSWORD, request: { err } } });
    const hostile = {
      ok: 1,
      get broken(): never {
        throw new Error(`getter saw ${PASSWORD}`);
      },
    };
    const unreadable = new Proxy(
      {},
      {
        ownKeys(): never {
          throw new Error('revoked');
        },
      },
    );
    assert.doesNotThrow(() => logger.error({ err, hostile, unreadable, deep: { token: 7n } }, 'boom'));
    assert.doesNotThrow(() => logger.child({ err }).warn(err));
    const out = lines();
    assert.equal(out.length, 2, out.join('\n'));
    assert.ok(!out.join('\n').includes('Pa55'), out.join('\n'));
    const first = JSON.parse(out[0]!) as Record<string, Record<string, unknown>>;
    assert.equal(first.err!.self, '[Circular]');
    assert.equal(first.err!.password, '[REDACTED]');
    assert.equal(first.err!.bytes, '1180591620717411303424');
    assert.deepEqual(first.err!.config, { auth: '[REDACTED]', request: { err: '[Circular]' } });
    assert.deepEqual(first.hostile, { ok: 1, broken: '[unreadable: getter saw [REDACTED]]' });
    assert.equal(first.unreadable, '[unreadable: revoked]');
    assert.deepEqual(first.deep, { token: '[REDACTED]' });
    const second = JSON.parse(out[1]!) as { msg: string; err: { self: string } };
    assert.equal(second.msg, 'pull failed');
    assert.equal(second.err.self, '[Circular]');
  });

  it('a line that cannot be written never throws at the caller: a stand-in line says so, without the data', () => {
    const chunks: string[] = [];
    // A destination that throws on one line (as a closed stream does) and takes the next.
    const refusing = {
      write(chunk: string): boolean {
        if (chunk.includes('refuse-me')) throw new Error(`EIO writing ${PASSWORD}`);
        chunks.push(chunk);
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    const logger = createLogger({ destination: refusing, env: {}, secrets: () => [PASSWORD] });
    assert.doesNotThrow(() => logger.error({ err: new Error('refuse-me') }, `internal error ${PASSWORD}`));
    const [line] = chunks;
    assert.equal(chunks.length, 1);
    assert.ok(!line!.includes('Pa55') && !line!.includes('refuse-me'), line);
    assert.equal((JSON.parse(line!) as { msg: string }).msg, 'a log line could not be written: Error');

    const dir = mkdtempSync(join(tmpdir(), 'cma-log-'));
    const fd = openSync(join(dir, 'closed.log'), 'w');
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
    assert.doesNotThrow(() => createLogger({ destination: fd, env: {} }).error('to a closed descriptor'));
    const brokenSecrets = (): never => {
      throw new Error('the secret set is broken');
    };
    const throwingSecrets = createLogger({ destination: refusing, env: {}, secrets: brokenSecrets });
    assert.doesNotThrow(() => throwingSecrets.error('unredactable'));
    assert.equal(chunks.length, 1, 'a line that cannot be redacted is not written at all');
  });

  it('describeError never throws, whatever was caught', () => {
    assert.equal(describeError(new Error('disk full')), 'disk full');
    assert.equal(describeError('plain'), 'plain');
    const hostile = {
      toString(): string {
        throw new Error('no');
      },
    };
    assert.equal(describeError(hostile), 'an error that cannot be shown as text');
  });

  it('a secret shorter than 4 characters is scrubbed where it stands alone, never inside words (issue 25, item 17)', () => {
    const secrets = credentialSecrets({ kind: 'basic', username: 'u', password: 'b' });
    const { logger, lines } = capture({}, () => secrets);
    logger.warn({ event: 'x' }, 'probe of http://cache.b.example/v2 by bob failed: basic auth u:b rejected (password=b)');
    const out = lines().join('\n');
    assert.match(out, /by bob failed: basic auth u:\[REDACTED\] rejected \(password=\[REDACTED\]\)/);
    assert.match(out, /cache\.\[REDACTED\]\.example/);
    assert.equal(redactText('a b c abba b.', ['b']), 'a [REDACTED] c abba [REDACTED].');
    assert.equal(redactText('x+y x+yz', ['x+y']), '[REDACTED] x+yz');
  });

  it('redactText, redactUrl', () => {
    assert.equal(redactText('a hunter2 b hunter22', ['hunter2', 'hunter22', '']), 'a [REDACTED] b [REDACTED]');
    assert.equal(redactUrl('https://bob:pw@mirror.local:5000/v2'), 'https://mirror.local:5000/v2');
    assert.equal(redactUrl('http://10.0.0.1:5000'), 'http://10.0.0.1:5000');
    assert.equal(redactUrl('not a url'), 'not a url');
  });

  it('rejects an unknown level naming LOG_LEVEL', () => {
    assert.throws(
      () => createLogger({ env: { LOG_LEVEL: 'verbose' } }),
      (e: Error & { code?: string }) => e.code === 'CMA_USAGE' && /verbose/.test(e.message),
    );
  });
});
