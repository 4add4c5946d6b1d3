// A HighThroughputExecutor worker process: register the TypeScript loaders (workers run
// TypeScript sources like the driver does), then start the worker. Started by the manager
// with fd 3 as its link.
import { registerLoaders } from '../../util/register-loaders.js';

registerLoaders();
await import('./worker.ts');
