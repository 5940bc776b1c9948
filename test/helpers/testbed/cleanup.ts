// Last-resort cleanup for everything the test bed creates (processes, iptables rules, temp dirs). Each
// resource registers an undo step by its own id and unregisters it when stopped normally; whatever is left
// when the process exits (a failed assertion, an uncaught error, SIGINT/SIGTERM from the test runner) is undone
// synchronously here, because an 'exit' handler cannot await.

type Undo = () => void;

const pending = new Map<number, Undo>();
let nextId = 1;
let installed = false;

function runAll(): void {
  // Newest first: a containerd must stop before the directory it lives in is removed.
  for (const id of [...pending.keys()].reverse()) {
    const undo = pending.get(id);
    pending.delete(id);
    try {
      undo?.();
    } catch {
      // Keep going: one failed undo must not leave the others behind.
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      runAll();
      process.kill(process.pid, signal);
    });
  }
}

export interface ExitGuard {
  /** Runs the undo step now (at most once overall) and unregisters it. */
  now(): void;
  /** Unregisters without running: the resource was released some other way. */
  disarm(): void;
}

/** Registers a synchronous undo step that runs at process exit unless run or disarmed before. */
export function onExit(undo: Undo): ExitGuard {
  install();
  const id = nextId++;
  pending.set(id, undo);
  return {
    now: () => {
      if (pending.delete(id)) undo();
    },
    disarm: () => {
      pending.delete(id);
    },
  };
}
