/**
 * The one HTTP/1.1 call the harness makes to restate-server, on loopback, over a keep-alive
 * agent. Node's `http` rather than `fetch`: in Node 20 fetch (undici) costs the driver more
 * CPU per call, and the driver shares two cores with the server and the SDK endpoint.
 */
import { Agent, request } from 'node:http';
import { LOOPBACK_HOST } from './loopback-ports.js';

/** Status and body text of one response. */
export type HttpResponse = { readonly status: number; readonly body: string };

/** One request: `body` is sent as JSON when given, an empty body otherwise. */
export type HttpCall = {
  readonly port: number;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
  readonly agent?: Agent;
  readonly signal?: AbortSignal;
};

/** A keep-alive agent that opens at most `maxSockets` connections. */
export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

/** Sends the call and reads the whole response; rejects on network errors and on abort. */
export function httpCall(call: HttpCall): Promise<HttpResponse> {
  const payload = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body));
  const headers: Record<string, string | number> = { 'content-length': payload?.length ?? 0 };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: LOOPBACK_HOST,
        port: call.port,
        method: call.method,
        path: call.path,
        headers,
        agent: call.agent,
        signal: call.signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
