/**
 * Hosts of their own on one machine: network namespaces joined by a bridge on a private /24, for
 * fleet tests. Needs root and iproute2 (`ip netns`); without them `createHosts` fails saying so.
 * Traffic stays on this machine: between the namespaces, and to the root namespace's bridge address,
 * where `forward` relays TCP to services that listen on loopback only (PostgreSQL, s3rver, receivers).
 */
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import net from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ip = async (...args: string[]) => {
  await run('ip', args);
};

export interface Relay {
  port: number;
  cut(): void;
  restore(): void;
}

export interface Hosts {
  /** The root namespace's address on the bridge, where forwarded services are reached. */
  gateway: string;
  /** One namespace per host: its name and address. */
  hosts: { netns: string; address: string }[];
  /** Relays `gateway:port` (a free port) to `targetHost:targetPort` until `destroy`; `cut` drops its connections and refuses new ones until `restore`. */
  forward(targetHost: string, targetPort: number): Promise<Relay>;
  /** Removes the namespaces, the bridge and the relays (processes in the namespaces must be stopped first). */
  destroy(): Promise<void>;
}

export async function createHosts(count: number): Promise<Hosts> {
  try {
    await run('ip', ['netns', 'list']);
  } catch (err) {
    throw new Error(`this test needs network namespaces (root and iproute2's \`ip netns\`), unavailable here: ${(err as Error).message}`);
  }
  const tag = `es${process.pid % 100_000}${randomInt(100)}`.slice(0, 9);
  const subnet = `10.${randomInt(200, 250)}.${randomInt(1, 250)}`;
  const bridge = `${tag}br`;
  const names = Array.from({ length: count }, (_, i) => `${tag}n${i}`);
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const made: string[] = [];
  const destroy = async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    for (const n of made) await ip('netns', 'del', n).catch(() => undefined);
    await ip('link', 'del', bridge).catch(() => undefined);
  };
  try {
    await ip('link', 'add', bridge, 'type', 'bridge');
    await ip('addr', 'add', `${subnet}.1/24`, 'dev', bridge);
    await ip('link', 'set', bridge, 'up');
    for (const [i, n] of names.entries()) {
      await ip('netns', 'add', n);
      made.push(n);
      const outside = `${tag}v${i}`;
      await ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n);
      await ip('link', 'set', outside, 'master', bridge, 'up');
      await ip('-n', n, 'addr', 'add', `${subnet}.${11 + i}/24`, 'dev', 'eth0');
      await ip('-n', n, 'link', 'set', 'eth0', 'up');
      await ip('-n', n, 'link', 'set', 'lo', 'up');
    }
  } catch (err) {
    await destroy();
    throw new Error(`could not set up network namespaces (this test needs root): ${(err as Error).message}`);
  }
  const gateway = `${subnet}.1`;
  return {
    gateway,
    hosts: names.map((netns, i) => ({ netns, address: `${subnet}.${11 + i}` })),
    async forward(targetHost, targetPort) {
      let open = true;
      const mine = new Set<net.Socket>();
      const server = net.createServer((inbound) => {
        if (!open) return void inbound.destroy();
        const outbound = net.connect(targetPort, targetHost);
        for (const s of [inbound, outbound]) {
          sockets.add(s);
          mine.add(s);
          s.on('close', () => sockets.delete(s) && mine.delete(s));
          s.on('error', () => inbound.destroy() && outbound.destroy());
        }
        inbound.pipe(outbound).pipe(inbound);
      });
      servers.push(server);
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, gateway, resolve));
      return {
        port: (server.address() as net.AddressInfo).port,
        cut() {
          open = false;
          for (const s of mine) s.destroy();
        },
        restore() {
          open = true;
        },
      };
    },
    destroy,
  };
}
