/** `load` and `currentDfk`: one DataFlowKernel is current at a time. */
import { availableParallelism } from 'node:os';
import { setSubmitterLookup } from '../apps/app.js';
import { resolveConfig, type Config, type ResolvedConfig } from '../config/config.js';
import { findConfigFile, importConfigFile, RESUME_ENV } from '../config/load-config.js';
import { ConfigurationError, NoDataFlowKernelError } from '../errors.js';
import { ThreadPoolExecutor } from '../executors/threads/thread-pool-executor.js';
import { getAllCheckpoints } from './checkpoint.js';
import { DataFlowKernel } from './dfk.js';

/**
 * Under `--resume`: reuse the checkpoints of every earlier run in the run dir, and keep
 * checkpointing at each task's end unless the config chose a mode, so that a resumed run
 * that is killed again is resumable too.
 */
function applyResume(config: ResolvedConfig): ResolvedConfig {
  if (process.env[RESUME_ENV] !== '1') return config;
  const earlier = getAllCheckpoints(config.runDir);
  return {
    ...config,
    checkpointFiles: [...earlier, ...config.checkpointFiles.filter((f) => !earlier.includes(f))],
    checkpointMode: config.checkpointMode ?? 'task_exit',
  };
}

interface KernelState {
  current: DataFlowKernel | undefined;
  loading: boolean;
  listeners: Set<(dfk: DataFlowKernel) => void>;
}

// On globalThis so that two copies of the package in one process still share one DFK.
const STATE_KEY = Symbol.for('parsl-ts.kernel-state');
const state: KernelState = ((globalThis as Record<symbol, unknown>)[STATE_KEY] as KernelState | undefined)
  ?? ((globalThis as Record<symbol, unknown>)[STATE_KEY] = { current: undefined, loading: false, listeners: new Set() } as KernelState);

/** The current DataFlowKernel; throws NoDataFlowKernelError when none is loaded. */
export function currentDfk(): DataFlowKernel {
  if (state.current === undefined) throw new NoDataFlowKernelError();
  return state.current;
}

/** The current DataFlowKernel or undefined. */
export function maybeCurrentDfk(): DataFlowKernel | undefined {
  return state.current;
}

/** Called with every DataFlowKernel that `load` starts (the CLI's progress bar uses it). */
export function onDfkLoaded(listener: (dfk: DataFlowKernel) => void): () => void {
  state.listeners.add(listener);
  return () => state.listeners.delete(listener);
}

setSubmitterLookup(currentDfk);

export function defaultConfig(): Config {
  return { executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: availableParallelism() })] };
}

function onBeforeExit(): void {
  // Like Parsl's atexit hook: a script that never called cleanup() still ends cleanly.
  void state.current?.cleanup();
}

/**
 * Starts a DataFlowKernel and makes it current. Without a config: the `--config` file of
 * `parsl-ts run`, else `parsl.config.ts` in the working directory, else a thread pool.
 */
export async function load(config?: Config): Promise<DataFlowKernel> {
  if (state.current !== undefined || state.loading) {
    throw new ConfigurationError('a DataFlowKernel is already loaded: call `await dfk.cleanup()` before loading another');
  }
  state.loading = true;
  try {
    if (config === undefined) {
      const file = findConfigFile();
      config = file ? await importConfigFile(file) : defaultConfig();
    }
    const dfk = await DataFlowKernel.start(applyResume(resolveConfig(config)));
    state.current = dfk;
    dfk.onCleanup = () => {
      if (state.current === dfk) state.current = undefined;
      process.off('beforeExit', onBeforeExit);
    };
    process.once('beforeExit', onBeforeExit);
    for (const listener of state.listeners) listener(dfk);
    return dfk;
  } finally {
    state.loading = false;
  }
}
