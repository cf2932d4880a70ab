#!/usr/bin/env node
// Runs the CLI from its TypeScript sources through tsx, so there is no build step for Node code.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
