/**
 * Runs one benchmark child process: forks it with an IPC channel, sends its start message,
 * passes every message on, and kills it when it stays silent longer than the watchdog allows
 * (a hung child must not stall the run; its failure is recorded instead).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';

/** A child that sends nothing for this long is taken to hang and is killed. */
export const WATCHDOG_MS = 5 * 60_000;

/** How a child ended. */
export type ChildExit = {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the watchdog killed it. */
  readonly hung: string | undefined;
};

/** What to run. */
export type ChildSpec = {
  /** Path of the compiled entry module. */
  readonly path: string;
  /** Prefix of the coordinator's own console lines about this child. */
  readonly label: string;
  readonly start: object;
  readonly onMessage: (message: unknown) => void;
  readonly watchdogMs?: number | undefined;
  /**
   * Run the child in a process group of its own and kill the whole group when it ends, so
   * processes it started (a peer's server) cannot outlive it.
   */
  readonly ownProcessGroup?: boolean | undefined;
};

/** Runs `spec` to its end. */
export async function runChild(spec: ChildSpec): Promise<ChildExit> {
  const watchdogMs = spec.watchdogMs ?? WATCHDOG_MS;
  const group = spec.ownProcessGroup === true;
  const child = fork(spec.path, [], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
    detached: group,
  });
  const kill = (): void => {
    try {
      if (group && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  };
  let hung: string | undefined;
  let lastHeardMs = Date.now();
  const watchdog = setInterval(() => {
    if (Date.now() - lastHeardMs < watchdogMs) return;
    hung = `no progress for ${watchdogMs / 1000} s; the runner was killed`;
    console.error(`[${spec.label}] ${hung}`);
    kill();
  }, 1000);
  child.on('message', (message: unknown) => {
    lastHeardMs = Date.now();
    spec.onMessage(message);
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.send(spec.start);
  const [code, signal] = await exited;
  clearInterval(watchdog);
  if (group) kill();
  return { code, signal, hung };
}

/** Why a child that did not report its end ended. */
export function exitText(exit: ChildExit): string {
  return (
    exit.hung ??
    `runner exited early (${exit.signal !== null ? `signal ${exit.signal}` : `code ${String(exit.code)}`})`
  );
}
