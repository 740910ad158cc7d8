#!/usr/bin/env -S node --max-semi-space-size=32
// weir's entry point.
//
// The shebang gives V8 a 32 MiB semi-space (young generation): a worker's batch of thousands of
// records lives through several scavenges at the default 16 MiB, each copying it again. Measured on
// the exactly-once pipe (batch 10 000, 200k records): about 2–3 ms less CPU per 1k records; 64 MiB
// did no better and kept more memory. Started as `node bin/weir.js`, weir runs with Node's default.
//
// Installed from the package, weir runs the compiled JavaScript in dist/ with no loader: Node starts
// it like any script. (A transform written in TypeScript gets a loader when the runtime imports it:
// src/runtime/processors.ts.)
//
// In a development checkout weir runs its TypeScript sources through tsx, as it always has: no
// build step, and never a stale dist/ left behind by an earlier `npm run build` — the repo's own
// tests run the code they test. The sources decide, not dist/: a checkout that has been built has
// both and must still run src/, and the package never has src/ (package.json's `files` leaves it
// out).
//
// A CommonJS file (bin/package.json says so): Node loads an ES module entry with the thread pool
// already started, and the pool's size must be set before it starts (below).
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS entry, on purpose (above)
const { existsSync } = require('node:fs');

// Every librdkafka call the binding makes asynchronously (a poll waiting for records, a transaction
// commit waiting for its coordinator, a connect, a close) holds one of libuv's pool threads until it
// returns, and the pool has 4 by default: with three steps polling, one commit waiting on a moving
// coordinator leaves nothing for the rest, and a close that never returns holds its thread for good.
// An operator's own setting wins.
process.env.UV_THREADPOOL_SIZE ??= '64';

(async () => {
  if (existsSync(`${__dirname}/../src/cli/main.ts`)) {
    const { register } = await import('tsx/esm/api');
    register();
    await import('../src/cli/main.ts');
  } else {
    await import('../dist/cli/main.js');
  }
})();
