/** The registry contract on the embedded default; Redis's registry runs the same suite. */
import { MemoryRegistry } from '../../packages/server/src/live/memory-registry.js';
import { registryContract } from './registry-contract.js';

registryContract('in memory', async () => new MemoryRegistry());
