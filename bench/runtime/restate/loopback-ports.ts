/**
 * Free TCP ports on 127.0.0.1, for servers that must be told their port up front
 * (restate-server reads its ports from its config file).
 *
 * The OS picks each port (listen on port 0); all listeners stay open until every port is
 * picked, so the ports are distinct, then close. Another process can still take a port before
 * the server binds it: the caller retries with new ports when the server fails to bind.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { Server } from 'node:net';

/** Loopback address every benchmark server binds and every client connects to. */
export const LOOPBACK_HOST = '127.0.0.1';

/** Returns `count` distinct ports that were free on 127.0.0.1 a moment ago. */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      server.listen(0, LOOPBACK_HOST);
      await once(server, 'listening');
      const address = server.address();
      if (address === null || typeof address === 'string')
        throw new Error('freeLoopbackPorts: no TCP address');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}
