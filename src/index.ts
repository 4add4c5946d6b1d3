/// <reference types="node" />
// The public surface of parsl-ts: re-exports only (DESIGN §1).
export { load, currentDfk, defaultConfig } from './dataflow/load.js';
export { DataFlowKernel, type TaskCounts } from './dataflow/dfk.js';
export { AppFuture } from './dataflow/app-future.js';
export { asCompleted } from './dataflow/as-completed.js';
export { map, type MapOptions } from './dataflow/map.js';
export { getAllCheckpoints, getLastCheckpoint } from './dataflow/checkpoint.js';
export type { TaskRecord, TaskState, TryRecord } from './dataflow/task-record.js';
export { app, bashApp, joinApp, type App, type AppOptions, type Futurable, type FuturableArgs } from './apps/app.js';
export { AUTO_LOGNAME, type AppKeywords, type StdStream } from './apps/keywords.js';
export {
  defineConfig, type Config, type CheckpointMode, type MonitoringOptions, type StrategyName, type TaskRecordView,
} from './config/config.js';
export { File } from './data/file.js';
export { DataFuture } from './data/data-future.js';
export type { StagingProvider, StagingPlan, StagingTarget, Transfer } from './data/staging.js';
export { defaultStaging } from './data/data-manager.js';
export { NoOpFileStaging } from './data/noop-file-staging.js';
export { HTTPSeparateTaskStaging } from './data/http-separate-task-staging.js';
export { HTTPInTaskStaging } from './data/http-in-task-staging.js';
export type { HTTPStagingOptions } from './data/http-transfer.js';
export { FTPSeparateTaskStaging } from './data/ftp-separate-task-staging.js';
export { FTPInTaskStaging } from './data/ftp-in-task-staging.js';
export type { FTPStagingOptions } from './data/ftp-transfer.js';
export { RSyncStaging } from './data/rsync-staging.js';
export type { RSyncStagingOptions } from './data/rsync-transfer.js';
export { ZipFileStaging } from './data/zip-file-staging.js';
export { ThreadPoolExecutor, type ThreadPoolExecutorOptions } from './executors/threads/thread-pool-executor.js';
export { HighThroughputExecutor, type HighThroughputExecutorOptions } from './executors/htex/high-throughput-executor.js';
export type { Executor, ExecutorTask, ExecutorContext, ExecutorStatus, TaskOutcome } from './executors/executor.js';
export { LocalProvider, type LocalProviderOptions } from './providers/local.js';
export { ClusterProvider, type ClusterProviderOptions } from './providers/cluster.js';
export { SlurmProvider, type SlurmProviderOptions } from './providers/slurm.js';
export { PBSProProvider, type PBSProProviderOptions } from './providers/pbspro.js';
export { TorqueProvider, type TorqueProviderOptions } from './providers/torque.js';
export { LSFProvider, type LSFProviderOptions } from './providers/lsf.js';
export { CondorProvider, type CondorProviderOptions } from './providers/condor.js';
export { GridEngineProvider, type GridEngineProviderOptions } from './providers/grid-engine.js';
export {
  SimpleLauncher, SingleNodeLauncher, SrunLauncher, MpiExecLauncher, MpiRunLauncher, AprunLauncher, JsrunLauncher,
  GnuParallelLauncher, WrappedLauncher, type Launcher, type SingleNodeLauncherOptions, type SrunLauncherOptions,
  type MpiExecLauncherOptions, type MpiRunLauncherOptions, type AprunLauncherOptions, type JsrunLauncherOptions,
  type GnuParallelLauncherOptions,
} from './providers/launchers/index.js';
export type { ExecutionProvider, ProviderOptions, JobState, JobStatus } from './providers/provider.js';
export {
  ParslError, ConfigurationError, NoDataFlowKernelError, DependencyError, BashExitFailure, BashAppNoReturn,
  SchedulerCommandError, AppTimeout, MissingOutputs, BadStdStreamFile, JoinError, SerializationError, AppDefinitionError,
  ManagerLost, WorkerLost, ExecutorError, TaskCancelledError, UnhashableArgumentError, StagingError,
  InvalidResourceSpecification, type FailedTask,
} from './errors.js';
export { VERSION } from './version.js';
