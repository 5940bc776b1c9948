// zod's default messages become sentences that name what the field must be (issue 24): checked on real zod
// issues, so a zod upgrade that changes its wording fails here rather than on a user's node.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { issuesToErrors } from '../../src/config/issues.js';

function lines(schema: z.ZodType, input: unknown): string[] {
  const result = schema.safeParse(input);
  assert.ok(!result.success);
  return issuesToErrors(result.error.issues, () => 'c.yaml').map((e) => e.toLine());
}

describe('schema messages', () => {
  it('say what the field must be and what it is instead, never "Invalid input"', () => {
    const schema = z.object({
      s: z.string(),
      b: z.boolean(),
      l: z.array(z.string()),
      e: z.enum(['up', 'down']),
      u: z.union([z.literal(0), z.string()]),
    });
    assert.deepEqual(lines(schema, { s: 1, b: 'yes', l: {}, e: 'sideways', u: true }), [
      'c.yaml: s: must be a string, not a number [CMA_CONFIG_FIELD]',
      'c.yaml: b: must be true or false, not a string [CMA_CONFIG_FIELD]',
      'c.yaml: l: must be a list (`- item` lines), not a mapping (`key: value` lines) [CMA_CONFIG_FIELD]',
      'c.yaml: e: must be one of "up", "down" [CMA_CONFIG_FIELD]',
      'c.yaml: u: has none of the accepted forms (see docs/configuration.md) [CMA_CONFIG_FIELD]',
    ]);
  });

  it('say a missing field is missing, and put bounds in words', () => {
    const schema = z.object({ url: z.string(), name: z.string().min(2), n: z.number().min(1), list: z.array(z.string()).min(1) });
    assert.deepEqual(lines(schema, { name: 'x', n: 0, list: [] }), [
      'c.yaml: url: must be a string, but it is missing [CMA_CONFIG_FIELD]',
      'c.yaml: name: must have at least 2 characters [CMA_CONFIG_FIELD]',
      'c.yaml: n: must be at least 1 [CMA_CONFIG_FIELD]',
      'c.yaml: list: must have at least 1 entries [CMA_CONFIG_FIELD]',
    ]);
  });
});
