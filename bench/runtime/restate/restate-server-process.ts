/**
 * Starts restate-server from node_modules (the binary that @restatedev/restate-server ships in
 * its per-platform package; nothing is downloaded) as a single-node cluster with everything on
 * loopback: a config file of its own under the run directory sets the base (data) directory
 * and three free ports, for the ingress, the admin API and the node-to-node fabric. Defaults
 * (8080, 9070, 5122) are never assumed free.
 *
 * Only what isolation needs is changed from the defaults, so the figures are those of a stock
 * single-node Restate: TCP only (no unix sockets in the data dir), no telemetry, no web UI,
 * plain logs, a short shutdown. Restate 1.7 also asks GitHub for its latest release at
 * startup, with no switch to turn that off; on a machine without internet it fails quietly.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessExitedError, RunTimeoutError } from './errors.js';
import { httpCall } from './loopback-http.js';
import { LOOPBACK_HOST, freeLoopbackPorts } from './loopback-ports.js';
import { OwnedProcess, spawned } from './owned-process.js';

/** Ports of one restate-server. */
export type RestateServerPorts = {
  readonly ingress: number;
  readonly admin: number;
  readonly fabric: number;
};

/** A running, healthy restate-server. */
export type RestateServer = {
  readonly process: OwnedProcess;
  readonly ports: RestateServerPorts;
  readonly baseDir: string;
};

/** What {@link startRestateServer} needs. */
export type RestateServerStart = {
  /** Repository root, whose node_modules holds the server package. */
  readonly root: string;
  /** Directory for this server's config file and data; created if missing. */
  readonly dir: string;
  /** Aborts the start (the child is stopped before the promise rejects). */
  readonly signal: AbortSignal;
  /** Time allowed from spawn until both the admin API and the ingress report healthy. */
  readonly startupTimeoutMs: number;
};

/** Attempts with fresh ports when another process takes one of ours before the server binds. */
const BIND_ATTEMPTS = 3;
const HEALTH_POLL_MS = 100;
/** SIGTERM to SIGKILL when stopping; the config's shutdown-timeout is shorter. */
export const SERVER_STOP_GRACE_MS = 10_000;

/** Path of the restate-server binary for this platform inside node_modules. */
export function restateServerBinary(root: string): string {
  const require = createRequire(join(root, 'package.json'));
  const name = `@restatedev/restate-server-${platform()}-${arch()}/bin/restate-server`;
  try {
    return require.resolve(name);
  } catch (error) {
    throw new Error(
      `restate-server: ${name} is not installed (npm ci installs it for ${platform()}-${arch()})`,
      {
        cause: error,
      },
    );
  }
}

/** The TOML config of a loopback single-node server whose data lives in `baseDir`. */
export function restateServerConfig(baseDir: string, ports: RestateServerPorts): string {
  // JSON string literals are valid TOML basic strings for any path without control characters.
  const str = (value: string): string => JSON.stringify(value);
  return [
    `cluster-name = "statefn-bench"`,
    `node-name = "bench-node"`,
    `base-dir = ${str(baseDir)}`,
    `listen-mode = "tcp"`,
    `bind-address = ${str(`${LOOPBACK_HOST}:${ports.fabric}`)}`,
    `advertised-address = ${str(`http://${LOOPBACK_HOST}:${ports.fabric}/`)}`,
    `disable-telemetry = true`,
    `log-format = "compact"`,
    `log-disable-ansi-codes = true`,
    `shutdown-timeout = "5s"`,
    ``,
    `[admin]`,
    `bind-address = ${str(`${LOOPBACK_HOST}:${ports.admin}`)}`,
    `disable-web-ui = true`,
    ``,
    `[ingress]`,
    `bind-address = ${str(`${LOOPBACK_HOST}:${ports.ingress}`)}`,
    ``,
  ].join('\n');
}

/** The environment without RESTATE_* variables, which would override the config file. */
function serverEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('RESTATE_')) env[key] = value;
  }
  env.DO_NOT_TRACK = '1';
  return env;
}

async function healthy(port: number, path: string, signal: AbortSignal): Promise<boolean> {
  try {
    return (await httpCall({ port, method: 'GET', path, signal })).status === 200;
  } catch {
    if (signal.aborted) throw signal.reason;
    return false;
  }
}

function addressInUse(log: string): boolean {
  return /address (already )?in use|EADDRINUSE/i.test(log);
}

/**
 * Spawns the server and resolves once its admin API and ingress answer `/health`. The server
 * leads its own process group; the caller stops it with `server.process.stop()`.
 */
export async function startRestateServer(start: RestateServerStart): Promise<RestateServer> {
  const binary = restateServerBinary(start.root);
  for (let attempt = 1; ; attempt++) {
    const picked = await freeLoopbackPorts(3);
    const ports: RestateServerPorts = { ingress: picked[0]!, admin: picked[1]!, fabric: picked[2]! };
    const attemptDir = join(start.dir, `server-${attempt}`);
    const baseDir = join(attemptDir, 'data');
    await mkdir(baseDir, { recursive: true });
    const configPath = join(attemptDir, 'restate.toml');
    await writeFile(configPath, restateServerConfig(baseDir, ports));

    const child = spawn(binary, ['--config-file', configPath, '--no-logo'], {
      cwd: attemptDir,
      env: serverEnvironment(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const owned = new OwnedProcess('restate-server', child, true);
    try {
      await spawned(child);
      await waitHealthy(owned, ports, start);
      return { process: owned, ports, baseDir };
    } catch (error) {
      await owned.stop(SERVER_STOP_GRACE_MS);
      const retry =
        error instanceof ProcessExitedError && addressInUse(owned.logTail()) && attempt < BIND_ATTEMPTS;
      if (!retry) throw error;
    }
  }
}

async function waitHealthy(
  owned: OwnedProcess,
  ports: RestateServerPorts,
  start: RestateServerStart,
): Promise<void> {
  const deadline = performance.now() + start.startupTimeoutMs;
  for (;;) {
    if (owned.status !== undefined) {
      throw new ProcessExitedError(
        `${owned.describeExit()} during startup; its last output:\n${owned.logTail()}`,
      );
    }
    if (
      (await healthy(ports.admin, '/health', start.signal)) &&
      (await healthy(ports.ingress, '/restate/health', start.signal))
    ) {
      return;
    }
    if (performance.now() > deadline) {
      throw new RunTimeoutError(
        `restate-server was not healthy after ${start.startupTimeoutMs} ms; its last output:\n${owned.logTail()}`,
      );
    }
    await sleep(HEALTH_POLL_MS, undefined, { signal: start.signal });
  }
}
