// Starts receiver-child.ts and collects what it received (see there for why it is a process).
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import type { Received } from '../helpers/http-server.ts';

const CHILD = fileURLToPath(new URL('./receiver-child.ts', import.meta.url));
const TSX = createRequire(import.meta.url).resolve('tsx/esm');

export async function receiverProcess(): Promise<{ url: string; received: Received[] }> {
  const child = fork(CHILD, [], { execArgv: ['--import', TSX], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  afterAll(() => void child.kill());
  const received: Received[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (m: Received | { port: number }) => ('port' in m ? resolve(m.port) : received.push(m)));
    child.once('exit', (code) => reject(new Error(`the HTTP receiver exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/notify`, received };
}
