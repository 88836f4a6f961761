import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { promisify } from 'node:util';
import { freePort } from '../../src/net/free-port.js';

export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * `python3 -m http.server` serving `dir`: HTTP/1.0, every response ends by closing the
 * connection right after the body, as the server sends it as fast as the socket takes it.
 */
export async function startPythonHttpServer(dir: string): Promise<LocalServer> {
  const port = await freePort();
  const child = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir], { stdio: 'ignore' });
  for (let i = 0; !(await accepting(port)); i++) {
    if (i > 200 || child.exitCode !== null) throw new Error('python3 -m http.server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `http://127.0.0.1:${port}`, close: () => stop(child) };
}

const FULL_BACKLOG = `
import socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)
fill = []
for _ in range(4):
    c = socket.socket(); c.setblocking(False); c.connect_ex(s.getsockname()); fill.append(c)
print(s.getsockname()[1], flush=True)
time.sleep(3600)
`;

/**
 * A port on 127.0.0.1 where a TCP connect never completes: a listener that never accepts, its
 * backlog already full, so the kernel drops further SYNs (what a firewalled host looks like).
 */
export async function unconnectableServer(): Promise<LocalServer> {
  const child = spawn('python3', ['-u', '-c', FULL_BACKLOG], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`backlog listener exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, close: () => stop(child) };
}

/** A 4-byte ID3v2 "syncsafe" integer: 7 bits a byte. */
function syncsafe(n: number): Buffer {
  return Buffer.from([(n >> 21) & 0x7f, (n >> 14) & 0x7f, (n >> 7) & 0x7f, n & 0x7f]);
}

/**
 * An mp3 of `seconds` of a tone, `bytes` long: an ID3v2 tag of padding (which players and ffmpeg
 * skip) makes up the size, so a large download stays quick to transcribe.
 */
export async function makeToneMp3(file: string, bytes: number, seconds = 10): Promise<void> {
  const { stdout: mp3 } = await promisify(execFile)(
    'ffmpeg',
    [
      '-nostdin',
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=440:duration=${seconds}`,
      '-c:a',
      'libmp3lame',
      '-b:a',
      '128k',
      '-id3v2_version',
      '0',
      '-write_xing',
      '0',
      '-f',
      'mp3',
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  const padding = bytes - 10 - mp3.length;
  if (padding < 0) throw new Error(`${seconds} s of mp3 take more than ${bytes} bytes`);
  const tag = Buffer.concat([Buffer.from('ID3\x04\x00\x00', 'latin1'), syncsafe(padding), Buffer.alloc(padding)]);
  await writeFile(file, Buffer.concat([tag, mp3]));
}
