/**
 * The Restate SDK endpoint of the runtime benchmark, run as a child process (forked from
 * dist/ by endpoint-process.ts) so that the SDK and the benchmark driver do not share an
 * event loop. It serves one virtual object over HTTP/2 cleartext on a free loopback port:
 *
 * - `counter/<key>/add` (exclusive): reads state `count`, adds 1, stores it, returns it;
 * - `counter/<key>/get` (shared): returns `count`, 0 when unset; the driver reads every key
 *   back with it after the run to check the stored counts.
 *
 * It reports its port on IPC and exits when the parent disconnects, so it cannot outlive a
 * driver that dies without stopping it.
 */
// First, for its side effect: the SDK calls Promise.withResolvers, which Node 20 lacks.
import './promise-with-resolvers.js';
import { once } from 'node:events';
import { createServer } from 'node:http2';
import * as restate from '@restatedev/restate-sdk';
import type { ObjectContext, ObjectSharedContext } from '@restatedev/restate-sdk';
import { COUNTER_OBJECT } from './endpoint-messages.js';
import type { EndpointMessage } from './endpoint-messages.js';
import { LOOPBACK_HOST } from './loopback-ports.js';

type CounterState = { count: number };

const counter = restate.object({
  name: COUNTER_OBJECT,
  handlers: {
    add: async (ctx: ObjectContext<CounterState>): Promise<number> => {
      const count = ((await ctx.get('count')) ?? 0) + 1;
      ctx.set('count', count);
      return count;
    },
    get: restate.handlers.object.shared(
      async (ctx: ObjectSharedContext<CounterState>): Promise<number> => (await ctx.get('count')) ?? 0,
    ),
  },
});

function send(message: EndpointMessage, then?: () => void): void {
  process.send?.(message, undefined, {}, () => then?.());
}

async function main(): Promise<void> {
  if (process.send === undefined) throw new Error('restate-endpoint: must be forked with an IPC channel');
  process.on('disconnect', () => process.exit(0));
  const server = createServer(restate.createEndpointHandler({ services: [counter] }));
  server.listen(0, LOOPBACK_HOST);
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('restate-endpoint: no TCP port');
  send({ type: 'endpoint-ready', port: address.port });
}

main().catch((error: unknown) => {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(text);
  // Exit only once the message is out, or the parent would see an exit without a reason.
  if (process.send === undefined) process.exit(1);
  send({ type: 'endpoint-fatal', error: text }, () => process.exit(1));
});
