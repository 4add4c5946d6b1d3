/**
 * Staging providers (Parsl's `Staging`): each executor has a list (`storageAccess`); for every
 * File a task reads or writes, the first provider that can stage it decides where the worker
 * sees it (`file.localPath`) and which transfer moves it. A transfer is a function exported
 * by a module, so that it can run on a worker: as its own task (`'separate-task'`, which the
 * app depends on, or which runs after the app for stage-out) or inside the app's task
 * (`'in-task'`, just before or after the app runs).
 */
import { join } from 'node:path';
import type { File } from './file.js';

/** The executor a task runs on, as a staging provider sees it. */
export interface StagingTarget {
  /** The executor's label. */
  readonly label: string;
  /** The absolute directory its workers run in, when it has one (HighThroughputExecutor `workingDir`). */
  readonly workingDir: string | undefined;
}

/** One transfer, run on a worker as `(await import(module))[exportName](...args)`. */
export interface Transfer {
  /** URL of the module exporting the function: `import.meta.url` inside that module. */
  module: string;
  exportName: string;
  /** Structured-clonable arguments; Files among them arrive as Files. */
  args: unknown[];
}

export interface StagingPlan {
  /**
   * `'separate-task'`: the transfer runs as a staging task of its own on the executor;
   * `'in-task'`: the worker that runs the app does it right before (stage-in) or after (stage-out).
   */
  mode: 'separate-task' | 'in-task';
  transfer: Transfer;
}

/**
 * What a staging provider implements. `stageIn`/`stageOut` get a fresh copy of the File for
 * one task: set `file.localPath` to where the worker reads or writes it, and return the
 * transfer to do (or undefined when the file is already there, as for local files).
 */
export interface StagingProvider {
  canStageIn(file: File): boolean;
  canStageOut(file: File): boolean;
  stageIn(file: File, target: StagingTarget): StagingPlan | undefined;
  stageOut(file: File, target: StagingTarget): StagingPlan | undefined;
}

export function isStagingProvider(value: unknown): value is StagingProvider {
  const candidate = value as Partial<StagingProvider> | null;
  return typeof candidate === 'object' && candidate !== null
    && typeof candidate.canStageIn === 'function' && typeof candidate.canStageOut === 'function'
    && typeof candidate.stageIn === 'function' && typeof candidate.stageOut === 'function';
}

/** Where a staged file lands on the worker: its name in the working directory (Parsl's rule). */
export function stagedPath(name: string, target: StagingTarget): string {
  return target.workingDir === undefined ? name : join(target.workingDir, name);
}
