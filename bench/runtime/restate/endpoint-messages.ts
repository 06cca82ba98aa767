/**
 * IPC messages between the benchmark driver and the forked SDK endpoint process
 * (restate-endpoint.ts). The child sends exactly one: `ready` with its port, or `fatal`.
 */

/** The endpoint listens on 127.0.0.1:`port` and serves the `counter` virtual object. */
export type EndpointReadyMessage = { readonly type: 'endpoint-ready'; readonly port: number };

/** The endpoint could not start. */
export type EndpointFatalMessage = { readonly type: 'endpoint-fatal'; readonly error: string };

/** Any message the endpoint process sends. */
export type EndpointMessage = EndpointReadyMessage | EndpointFatalMessage;

/** Name of the virtual object, as it appears in ingress paths (`/counter/<key>/add`). */
export const COUNTER_OBJECT = 'counter';

/** Narrows an IPC message from the endpoint process. */
export function isEndpointMessage(message: unknown): message is EndpointMessage {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as { type?: unknown; port?: unknown; error?: unknown };
  return (
    (m.type === 'endpoint-ready' && typeof m.port === 'number') ||
    (m.type === 'endpoint-fatal' && typeof m.error === 'string')
  );
}
