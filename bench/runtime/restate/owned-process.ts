/**
 * A child process the benchmark started and must stop: it keeps the last lines the child
 * printed (for error messages), resolves `exited` when it ends, and `stop()` sends SIGTERM,
 * then SIGKILL after a grace period, to the child's whole process group when it leads one.
 *
 * Every live OwnedProcess is also in a module-level set, and one `exit` listener of this
 * process SIGKILLs whatever is still in it, so a driver that throws, is interrupted with
 * Ctrl-C (the CLI turns SIGINT/SIGTERM into an exit) or calls process.exit() leaves nothing
 * behind. Only a SIGKILL of the driver itself can orphan restate-server; the SDK endpoint
 * exits by itself when its IPC channel closes.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';

/** Lines of child output kept for error messages. */
const LOG_TAIL_LINES = 40;

/** How a child ended. */
export type ExitStatus = { readonly code: number | null; readonly signal: NodeJS.Signals | null };

const live = new Set<OwnedProcess>();
let exitHookInstalled = false;

function killAllSync(): void {
  for (const owned of live) owned.killSync('SIGKILL');
}

/** A started child process that this process owns. */
export class OwnedProcess {
  readonly name: string;
  /** Resolves when the child has exited, however that happened. */
  readonly exited: Promise<ExitStatus>;
  readonly #child: ChildProcess;
  readonly #groupLeader: boolean;
  readonly #tail: string[] = [];
  #status: ExitStatus | undefined;

  /**
   * Takes ownership of `child`. `groupLeader` says it was spawned with `detached: true`, so
   * signals go to its process group (the child and anything it started).
   */
  constructor(name: string, child: ChildProcess, groupLeader: boolean) {
    this.name = name;
    this.#child = child;
    this.#groupLeader = groupLeader;
    this.#capture(child.stdout);
    this.#capture(child.stderr);
    // 'close' rather than 'exit': by then stdout and stderr are drained into the tail.
    this.exited = new Promise((resolve) => {
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.#status = { code, signal };
        live.delete(this);
        resolve(this.#status);
      });
    });
    child.once('error', (error) => this.#remember(`spawn error: ${error.message}`));
    live.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', killAllSync);
    }
  }

  /** Process id, or undefined when the spawn failed. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** How the child ended, or undefined while it runs. */
  get status(): ExitStatus | undefined {
    return this.#status;
  }

  /** The last lines the child printed, oldest first. */
  logTail(): string {
    return this.#tail.join('\n');
  }

  /** "exited with code 1" / "was killed by SIGKILL" / "is running". */
  describeExit(): string {
    const s = this.#status;
    if (s === undefined) return `${this.name} is running`;
    return s.signal !== null
      ? `${this.name} was killed by ${s.signal}`
      : `${this.name} exited with code ${String(s.code)}`;
  }

  /** Sends `signal` now, to the group when the child leads one; never throws. */
  killSync(signal: NodeJS.Signals): void {
    const pid = this.#child.pid;
    if (pid === undefined || this.#status !== undefined) return;
    try {
      if (this.#groupLeader) process.kill(-pid, signal);
      else this.#child.kill(signal);
    } catch {
      // Already gone (ESRCH): nothing to stop.
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
  async stop(graceMs: number): Promise<ExitStatus> {
    if (this.#status !== undefined || this.#child.pid === undefined) {
      live.delete(this);
      return this.#status ?? { code: null, signal: null };
    }
    this.killSync('SIGTERM');
    const timer = setTimeout(() => this.killSync('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
      // The group may hold children of the child that outlived it.
      if (this.#groupLeader && this.#child.pid !== undefined) {
        try {
          process.kill(-this.#child.pid, 'SIGKILL');
        } catch {
          // No such group any more.
        }
      }
    }
  }

  #capture(stream: Readable | null): void {
    if (stream === null) return;
    stream.setEncoding('utf8');
    let partial = '';
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.#remember(line);
    });
    stream.on('end', () => {
      if (partial !== '') this.#remember(partial);
    });
  }

  #remember(line: string): void {
    this.#tail.push(line);
    if (this.#tail.length > LOG_TAIL_LINES) this.#tail.shift();
  }
}

/** Resolves when `child` is spawned, rejects when spawning fails (e.g. ENOENT). */
export async function spawned(child: ChildProcess): Promise<void> {
  await once(child, 'spawn');
}
