/**
 * Forks the compiled SDK endpoint (dist/.../restate-endpoint.js) and waits for the port it
 * reports. A child process needs JavaScript: from the TypeScript sources (vitest) the endpoint
 * is taken from dist/, which `npm run build` writes; from dist/ it is the file beside this one.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findProjectRoot } from '../../project-root.js';
import { isEndpointMessage } from './endpoint-messages.js';
import { ProcessExitedError, RunTimeoutError } from './errors.js';
import { OwnedProcess } from './owned-process.js';

/** A running SDK endpoint. */
export type SdkEndpoint = { readonly process: OwnedProcess; readonly port: number };

/** SIGTERM to SIGKILL when stopping the endpoint. */
export const ENDPOINT_STOP_GRACE_MS = 2_000;

/** Path of the compiled endpoint script that matches this module. */
export function endpointScriptPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return join(dirname(here), 'restate-endpoint.js');
  const root = findProjectRoot(dirname(here));
  return join(root, 'dist', 'bench', 'runtime', 'restate', 'restate-endpoint.js');
}

/** Forks the endpoint and resolves once it listens; stops it again if it does not. */
export async function startSdkEndpoint(signal: AbortSignal, startupTimeoutMs: number): Promise<SdkEndpoint> {
  const script = endpointScriptPath();
  if (!existsSync(script)) {
    throw new Error(`restate endpoint: ${script} is missing: run \`npm run build\` first (npm test does)`);
  }
  signal.throwIfAborted();
  const child = fork(script, [], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
    // The SDK logs every invocation at INFO; a benchmark only wants to hear of trouble.
    env: { ...process.env, RESTATE_LOGGING: 'WARN' },
  });
  const owned = new OwnedProcess('restate SDK endpoint', child, false);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new RunTimeoutError(`restate SDK endpoint did not listen within ${startupTimeoutMs} ms`)),
        startupTimeoutMs,
      );
      const onAbort = (): void =>
        reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      signal.addEventListener('abort', onAbort, { once: true });
      const settle = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      child.on('message', (message: unknown) => {
        if (!isEndpointMessage(message)) return;
        settle();
        if (message.type === 'endpoint-ready') resolve(message.port);
        else reject(new ProcessExitedError(`restate SDK endpoint failed to start: ${message.error}`));
      });
      void owned.exited.then(() => {
        settle();
        reject(new ProcessExitedError(`${owned.describeExit()} before listening:\n${owned.logTail()}`));
      });
    });
    return { process: owned, port };
  } catch (error) {
    await owned.stop(ENDPOINT_STOP_GRACE_MS);
    throw error;
  }
}
