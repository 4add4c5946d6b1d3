/** How a task's keyword files and streams appear in the `task` table (text, as Parsl shows them). */
import type { AppKeywords } from '../apps/keywords.js';
import { File } from '../data/file.js';
import type { TaskRecord } from '../dataflow/task-record.js';

function describeItem(item: unknown): string {
  if (item instanceof File) return item.url;
  const taskId = (item as { taskId?: unknown } | null)?.taskId;
  if (typeof taskId === 'number') return `<task ${taskId}>`;
  return String(item);
}

export function describeTaskFiles(keywords: AppKeywords, record: TaskRecord): { inputs?: string; outputs?: string; stdout?: string; stderr?: string } {
  const files: { inputs?: string; outputs?: string; stdout?: string; stderr?: string } = {};
  if (Array.isArray(keywords.inputs) && keywords.inputs.length > 0) files.inputs = keywords.inputs.map(describeItem).join(', ');
  if (record.outputs !== undefined && record.outputs.length > 0) files.outputs = record.outputs.map((output) => output.file.url).join(', ');
  if (record.stdout !== undefined) files.stdout = record.stdout.path;
  if (record.stderr !== undefined) files.stderr = record.stderr.path;
  return files;
}
