/**
 * Applies a call's keyword object to its task record: std stream files (AUTO_LOGNAME
 * resolved under the run dir), walltime, priority, resource specification, and `outputs`
 * as DataFutures on the app future. The rules of each key are in apps/keywords.ts.
 */
import { join } from 'node:path';
import { outputFiles, stdStreamSpec, type AppKeywords } from '../apps/keywords.js';
import { DataFuture } from '../data/data-future.js';
import { File } from '../data/file.js';
import type { TaskRecord } from './task-record.js';

/** Throws BadStdStreamFile or TypeError naming the bad keyword. */
export function applyKeywords(record: TaskRecord, keywords: AppKeywords, runDir: string): void {
  const name = record.definition.name;
  const autoPath = (stream: string) => () => join(runDir, 'task_logs', String(Math.floor(record.id / 10000)).padStart(4, '0'),
    `task_${String(record.id).padStart(4, '0')}_${name}.${stream}`);
  record.stdout = stdStreamSpec('stdout', keywords.stdout, autoPath('stdout'));
  record.stderr = stdStreamSpec('stderr', keywords.stderr, autoPath('stderr'));
  record.future.stdout = record.stdout?.path;
  record.future.stderr = record.stderr?.path;
  for (const stream of ['stdout', 'stderr'] as const) {
    const spec = keywords[stream];
    const file = Array.isArray(spec) ? spec[0] : spec;
    if (file instanceof File) (record.streamFiles ??= []).push({ stream, file });
  }
  if (keywords.walltime !== undefined) {
    if (typeof keywords.walltime !== 'number' || !(keywords.walltime > 0)) {
      throw new TypeError(`keyword 'walltime' of app ${name} must be a positive number of seconds, got ${String(keywords.walltime)}`);
    }
    record.walltime = keywords.walltime;
  }
  if (keywords.priority !== undefined) {
    if (typeof keywords.priority !== 'number' || Number.isNaN(keywords.priority)) {
      throw new TypeError(`keyword 'priority' of app ${name} must be a number, got ${String(keywords.priority)}`);
    }
    record.priority = keywords.priority;
  }
  if (keywords.resourceSpecification !== undefined) record.resourceSpecification = keywords.resourceSpecification;
  const files = outputFiles(keywords.outputs);
  if (files.length > 0) {
    record.outputs = files.map((file) => new DataFuture(file, record.id));
    record.future.outputs = record.outputs;
  }
  // The function sees resolved stream paths (AUTO_LOGNAME and Files become strings).
  const streamsChanged = (keywords.stdout !== undefined && typeof keywords.stdout !== 'string')
    || (keywords.stderr !== undefined && typeof keywords.stderr !== 'string');
  if (streamsChanged || (keywords.outputs !== undefined && files.some((f, i) => f !== keywords.outputs![i]))) {
    const copy: Record<string, unknown> = { ...keywords };
    if (record.stdout) copy['stdout'] = record.stdout.path;
    if (record.stderr) copy['stderr'] = record.stderr.path;
    if (keywords.outputs !== undefined) copy['outputs'] = files;
    record.args = [...record.args.slice(0, -1), copy];
  }
}
