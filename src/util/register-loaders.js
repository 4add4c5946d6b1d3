// Makes this process or thread able to run TypeScript with no build step: tsx's loader,
// then parsl-ts's format hook (see esm-hooks.js). Used by the CLI and by worker entries.
import { register as registerHooks } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

export function registerLoaders() {
  registerTsx();
  registerHooks('./esm-hooks.js', import.meta.url);
}
