/**
 * A load balancer for tests: TCP round robin over the nodes, with no stickiness at all (each
 * connection goes to the next node in turn), and a node that refuses connections skipped, as a
 * balancer's health check would. It remembers each connection's first line and node, so a test can
 * find the node holding a given client's socket.
 */
import { createServer, connect, type Socket } from 'node:net';

export interface Balancer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The connections made so far: the node's port and the request line the client sent first. */
  connections: { port: number; firstLine: string; open: boolean }[];
  close(): Promise<void>;
}

export async function startBalancer(ports: number[]): Promise<Balancer> {
  let next = 0;
  const open = new Set<Socket>();
  const connections: Balancer['connections'] = [];
  const server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const entry = { port: 0, firstLine: '', open: true };
    const tryNode = (left: number) => {
      if (left === 0) return client.destroy();
      const port = ports[next++ % ports.length]!;
      const upstream = connect(port, '127.0.0.1');
      upstream.once('error', () => {
        // Refused (the node is down): the next one, with nothing sent yet.
        if (entry.port === 0) tryNode(left - 1);
        else client.destroy();
      });
      upstream.once('connect', () => {
        entry.port = port;
        connections.push(entry);
        open.add(upstream);
        upstream.on('close', () => {
          open.delete(upstream);
          entry.open = false;
          client.destroy();
        });
        upstream.on('error', () => upstream.destroy());
        client.on('close', () => upstream.destroy());
        client.once('data', (d: Buffer) => (entry.firstLine = d.toString('latin1').split('\r\n')[0] ?? ''));
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    tryNode(ports.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    connections,
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
