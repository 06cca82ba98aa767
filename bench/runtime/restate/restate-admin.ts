/**
 * Registers the SDK endpoint with restate-server's admin API and waits until the ingress
 * routes to it. Registration makes the server discover the endpoint's services over HTTP/2;
 * the new schema then reaches the ingress asynchronously, so the first calls right after a
 * successful registration can still get 404: {@link waitForCounter} probes the shared `get`
 * handler (which changes no state) until it answers.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { COUNTER_OBJECT } from './endpoint-messages.js';
import { RunTimeoutError, UnexpectedResponseError } from './errors.js';
import { httpCall } from './loopback-http.js';
import type { HttpResponse } from './loopback-http.js';
import { LOOPBACK_HOST } from './loopback-ports.js';

const RETRY_MS = 100;
/** Key of the probe calls; not a decimal number, so no benchmark key is ever this one. */
export const PROBE_KEY = 'probe';

function snippet(response: HttpResponse): string {
  return `${response.status} ${response.body.slice(0, 500)}`;
}

async function retrying<T>(
  what: string,
  timeoutMs: number,
  signal: AbortSignal,
  attempt: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await attempt();
      if (result !== undefined) return result;
    } catch (error) {
      if (signal.aborted || error instanceof UnexpectedResponseError) throw error;
      lastError = error;
    }
    if (performance.now() > deadline) {
      throw new RunTimeoutError(`${what} did not succeed within ${timeoutMs} ms`, { cause: lastError });
    }
    await sleep(RETRY_MS, undefined, { signal });
  }
}

/**
 * POSTs the endpoint to `/deployments` and checks that the server found the `counter` object
 * there. A 5xx (the cluster still starting) is retried; a 4xx is final.
 */
export async function registerDeployment(
  adminPort: number,
  endpointPort: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const uri = `http://${LOOPBACK_HOST}:${endpointPort}/`;
  await retrying(`registering ${uri} with restate-server`, timeoutMs, signal, async () => {
    const response = await httpCall({
      port: adminPort,
      method: 'POST',
      path: '/deployments',
      body: { uri },
      signal,
    });
    if (response.status >= 500) return undefined;
    if (response.status !== 200 && response.status !== 201) {
      throw new UnexpectedResponseError(`restate admin: registering ${uri} answered ${snippet(response)}`);
    }
    const services = (JSON.parse(response.body) as { services?: { name?: unknown }[] }).services ?? [];
    if (!services.some((service) => service.name === COUNTER_OBJECT)) {
      throw new UnexpectedResponseError(
        `restate admin: ${uri} has no ${COUNTER_OBJECT} service: ${snippet(response)}`,
      );
    }
    return true;
  });
}

/** Calls `counter/<PROBE_KEY>/get` until it answers 200 with a number. */
export async function waitForCounter(
  ingressPort: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const path = `/${COUNTER_OBJECT}/${PROBE_KEY}/get`;
  await retrying(`calling ${path} on the ingress`, timeoutMs, signal, async () => {
    const response = await httpCall({ port: ingressPort, method: 'POST', path, signal });
    if (response.status !== 200) return undefined;
    if (typeof JSON.parse(response.body) !== 'number') {
      throw new UnexpectedResponseError(`restate ingress: ${path} answered ${snippet(response)}`);
    }
    return true;
  });
}
