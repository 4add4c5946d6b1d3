// Worker threads do not inherit the driver's loaders: register them, then start the worker.
import { registerLoaders } from '../../util/register-loaders.js';

registerLoaders();
await import('./worker.ts');
