// A HighThroughputExecutor worker process: register tsx (workers run TypeScript sources
// like the driver does), then start the worker. Started by the manager with fd 3 as its link.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
