// Entry of the `parsl-ts` package. parsl-ts runs its TypeScript sources without a build
// step: register tsx (a no-op cost when the program already runs under it), then re-export
// the public surface. test/package/entry.test.ts checks this list against src/index.ts.
import { register } from 'tsx/esm/api';

register();
const api = await import('./src/index.ts');

export const {
  load, currentDfk, defaultConfig, DataFlowKernel, AppFuture, asCompleted, map, getAllCheckpoints, getLastCheckpoint,
  UnhashableArgumentError,
  app, bashApp, joinApp, AUTO_LOGNAME, defineConfig, File, DataFuture, ThreadPoolExecutor, HighThroughputExecutor,
  ParslError, ConfigurationError, NoDataFlowKernelError, DependencyError, BashExitFailure, BashAppNoReturn,
  AppTimeout, MissingOutputs, BadStdStreamFile, JoinError, SerializationError, AppDefinitionError,
  ManagerLost, WorkerLost, ExecutorError, TaskCancelledError, VERSION,
  LocalProvider, SimpleLauncher, SingleNodeLauncher, SrunLauncher, MpiExecLauncher, MpiRunLauncher, AprunLauncher,
  JsrunLauncher, GnuParallelLauncher, WrappedLauncher,
} = api;
