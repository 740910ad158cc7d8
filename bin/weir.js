#!/usr/bin/env node
// weir's entry point. Sources are TypeScript run through tsx: no build step, and the same
// loader lets topologies reference user transforms written in TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
