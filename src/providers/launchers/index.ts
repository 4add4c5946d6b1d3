// Every launcher (DESIGN §1), one import for providers and the public entry.
export type { Launcher } from './launcher.js';
export { SimpleLauncher } from './simple.js';
export { SingleNodeLauncher, type SingleNodeLauncherOptions } from './single-node.js';
export { WrappedLauncher } from './wrapped.js';
export { SrunLauncher, type SrunLauncherOptions } from './srun.js';
export {
  MpiExecLauncher, MpiRunLauncher, GnuParallelLauncher,
  type MpiExecLauncherOptions, type MpiRunLauncherOptions, type GnuParallelLauncherOptions,
} from './mpi.js';
export { AprunLauncher, JsrunLauncher, type AprunLauncherOptions, type JsrunLauncherOptions } from './cray.js';
