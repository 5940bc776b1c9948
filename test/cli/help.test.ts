// `--help` lists exactly the flags each command accepts: a flag the parser takes but the help leaves out is one
// nobody finds, and one the help names but the parser refuses is a usage error on a node.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMAND_OPTIONS, HELP, isCommand } from '../../src/cli/args.js';

/** Where the description column of HELP's command list starts; a line indented this far is description only. */
const DESCRIPTION_COLUMN = 49;

/** A line's usage part: after the command name, up to the gap before its description. */
function usagePart(line: string): string {
  if (line.length - line.trimStart().length >= DESCRIPTION_COLUMN) return '';
  return line
    .replace(/^ {2}[a-z]+ +/, '')
    .trim()
    .split(/ {3,}/)[0]!;
}

/** The flags HELP's command list shows for each command (its own lines and their continuation lines). */
function helpFlags(): Map<string, Set<string>> {
  const lines = HELP.slice(HELP.indexOf('Commands:\n'), HELP.indexOf('\n\n', HELP.indexOf('Commands:\n')))
    .split('\n')
    .slice(1);
  const flags = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const line of lines) {
    const name = /^ {2}([a-z]+)\b/.exec(line)?.[1];
    if (name !== undefined && isCommand(name)) flags.set(name, (current = new Set()));
    for (const [flag] of usagePart(line).matchAll(/--[a-z-]+/g)) current?.add(flag.slice(2));
  }
  // The header line names the commands that also take --cluster-config, so their lines need not repeat it.
  const header = /^\(([a-z, ]+) also take --cluster-config/m.exec(HELP)?.[1] ?? '';
  for (const name of header.split(/, | and /)) flags.get(name)?.add('cluster-config');
  return flags;
}

describe('--help', () => {
  it('lists every command, each with exactly the flags it accepts', () => {
    const shown = helpFlags();
    assert.deepEqual([...shown.keys()].sort(), Object.keys(COMMAND_OPTIONS).sort());
    for (const [command, options] of Object.entries(COMMAND_OPTIONS)) {
      assert.deepEqual([...shown.get(command)!].sort(), Object.keys(options).sort(), `${command}'s line in --help`);
    }
  });
});
