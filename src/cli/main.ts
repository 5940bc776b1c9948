#!/usr/bin/env node
// Entry point: dispatch, and the one place that turns errors into exit codes and one-line messages.
import { EXIT_INVALID, EXIT_OK, AgentError, errorLines } from '../errors.js';
import { HELP, isCommand, parseCommandFlags, type CommandName, type CommandFlags } from './args.js';
import { VERSION } from '../version.js';

type Command = (flags: CommandFlags) => Promise<number>;

const COMMANDS: Record<CommandName, () => Promise<Command>> = {
  validate: async () => (await import('./commands/validate-command.js')).validateCommand,
  render: async () => (await import('./commands/render-command.js')).renderCommand,
  apply: async () => (await import('./commands/apply-command.js')).applyCommand,
  restore: async () => (await import('./commands/restore-command.js')).restoreCommand,
  run: async () => (await import('./commands/run-command.js')).runCommand,
  status: async () => (await import('./commands/status-command.js')).statusCommand,
  doctor: async () => (await import('./commands/doctor-command.js')).doctorCommand,
  sync: async () => (await import('./commands/sync-command.js')).syncCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name === undefined ? EXIT_INVALID : EXIT_OK;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`containerd-mirror-agent ${VERSION}\n`);
    return EXIT_OK;
  }
  if (!isCommand(name)) {
    throw new AgentError('CMA_USAGE', `unknown command "${name}"; see \`containerd-mirror-agent --help\``);
  }
  // `run --help` is what an operator types first; the one help text covers every command.
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  const flags = parseCommandFlags(name, rest);
  const command = await COMMANDS[name]();
  return command(flags);
}

// The process's name is what `systemctl status`, the journal's _COMM and pgrep show: Node 24 names its main
// thread "MainThread", so it takes the agent's name (the kernel keeps 15 characters: containerd-mirr), and
// ps and /proc/PID/cmdline show the command without the runtime's path.
process.title = ['containerd-mirror-agent', ...process.argv.slice(2)].join(' ');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const { lines, exitCode } = errorLines(err);
    for (const line of lines) process.stderr.write(`containerd-mirror-agent: ${line}\n`);
    process.exitCode = exitCode;
  },
);
