// The screen between a DNS answer and the mirrors written (issue 25, items 1 and 3): special addresses in
// every spelling are refused with their reason, loopback only when the node-owned config allows it, and at
// most `limit` addresses are kept, in the order given.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addressKind, screenAnswers, screenNote } from '../../src/health/dns-answers.js';

describe('DNS answer screen', () => {
  it('names every special address, in IPv4, IPv6 and IPv4-mapped form', () => {
    const cases: Array<[string, string | undefined]> = [
      ['127.0.0.1', 'loopback'],
      ['127.255.3.4', 'loopback'],
      ['::1', 'loopback'],
      ['0:0:0:0:0:0:0:1', 'loopback'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['::ffff:0.0.0.0', 'unspecified'],
      ['169.254.169.254', 'link-local'],
      ['::ffff:169.254.169.254', 'link-local'],
      ['::FFFF:A9FE:A9FE', 'link-local'],
      ['fe80::1', 'link-local'],
      ['febf:ffff::1', 'link-local'],
      ['224.0.0.1', 'multicast'],
      ['239.255.255.250', 'multicast'],
      ['ff02::1', 'multicast'],
      ['::ffff:224.0.0.251', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['10.96.0.10', undefined],
      ['169.253.0.1', undefined],
      ['fec0::1', undefined],
      ['fd00::10', undefined],
      ['::ffff:10.0.0.1', undefined],
      ['2001:db8::1', undefined],
      ['cache.example', 'not an IP address'],
    ];
    for (const [address, kind] of cases) assert.equal(addressKind(address), kind, address);
  });

  it('refuses loopback unless allowed; everything else special is refused either way', () => {
    const answer = ['0.0.0.0', '10.0.0.1', '127.0.0.5', '::ffff:127.0.0.1', 'fe80::1'];
    assert.deepEqual(screenAnswers(answer, { allowLoopback: false, limit: 16 }), {
      kept: ['10.0.0.1'],
      refused: ['0.0.0.0 (unspecified)', '127.0.0.5 (loopback)', '::ffff:127.0.0.1 (loopback)', 'fe80::1 (link-local)'],
      overLimit: 0,
    });
    assert.deepEqual(screenAnswers(answer, { allowLoopback: true, limit: 16 }).kept, ['10.0.0.1', '127.0.0.5', '::ffff:127.0.0.1']);
  });

  it('keeps at most the limit, in order, and counts the rest; the note is one bounded phrase', () => {
    const answer = Array.from({ length: 4000 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    const refusedMany = Array.from({ length: 100 }, (_, i) => `169.254.0.${i}`);
    const screened = screenAnswers([...answer, ...refusedMany], { allowLoopback: false, limit: 16 });
    assert.deepEqual(screened.kept, answer.slice(0, 16));
    assert.equal(screened.overLimit, 3984);
    const note = screenNote(screened, 16) ?? '';
    assert.match(
      note,
      /^refused 169\.254\.0\.0 \(link-local\), .* and 96 more: never written; 3984 more addresses not used \(at most 16 per mirror\)$/,
    );
    assert.ok(note.length < 300, note);
    assert.equal(screenNote(screenAnswers(['10.0.0.1'], { allowLoopback: false, limit: 16 }), 16), undefined);
  });
});
