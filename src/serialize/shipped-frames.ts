/**
 * Worker side: stack frames of code shipped by source point at the user's file. Shipped
 * code is compiled under a name of its own (`parsl-ts-code/N`); each function in it
 * remembers where its text starts in its script, so a frame maps back to the script's
 * compiled position and, through the script's source map, to the line the user wrote.
 */
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { SourceOrigin } from './code.js';

/** One function's text inside the compiled code, and where the same text is in its script. */
export interface ShippedPiece {
  /** 1-based line and column of its first character in the compiled code. */
  line: number;
  column: number;
  origin: SourceOrigin;
}

interface ShippedCode {
  moduleUrl: string;
  pieces: ShippedPiece[];
  sourceMap: object | undefined;
  map?: SourceMap;
}

const FILE_PREFIX = 'parsl-ts-code/';
const FRAME = /parsl-ts-code\/(\d+):(\d+):(\d+)/g;
const registry = new Map<number, ShippedCode>();
let nextFile = 0;

/** Registers compiled code; returns the file name to compile it under. */
export function registerShippedCode(moduleUrl: string, pieces: ShippedPiece[], sourceMap: object | undefined): string {
  const id = nextFile++;
  registry.set(id, { moduleUrl, pieces: [...pieces].sort((a, b) => a.line - b.line || a.column - b.column), sourceMap });
  return `${FILE_PREFIX}${id}`;
}

function displayPath(url: string): string {
  return url.startsWith('file:') ? fileURLToPath(url) : url;
}

/** `file:line:column` (1-based) in the user's script for a position in compiled code, if known. */
function mapPosition(code: ShippedCode, line: number, column: number): string | undefined {
  let piece: ShippedPiece | undefined;
  for (const candidate of code.pieces) {
    if (candidate.line < line || (candidate.line === line && candidate.column <= column)) piece = candidate;
  }
  if (piece === undefined) return undefined;
  // Positions in the script, 0-based: the function's text is a verbatim copy.
  const scriptLine = piece.origin.line + (line - piece.line);
  const scriptColumn = line === piece.line ? piece.origin.column + (column - piece.column) : column - 1;
  if (code.sourceMap !== undefined) {
    try {
      code.map ??= new SourceMap(code.sourceMap as ConstructorParameters<typeof SourceMap>[0]);
      const entry = code.map.findEntry(scriptLine, scriptColumn) as { originalSource?: string; originalLine?: number; originalColumn?: number };
      if (entry.originalSource !== undefined) return `${displayPath(entry.originalSource)}:${entry.originalLine! + 1}:${entry.originalColumn! + 1}`;
    } catch { /* fall back to the compiled position */ }
  }
  return `${displayPath(code.moduleUrl)}:${scriptLine + 1}:${scriptColumn + 1}`;
}

/** A stack trace with frames of shipped code rewritten to the user's files and lines. */
export function mapShippedFrames(stack: string): string {
  if (!stack.includes(FILE_PREFIX)) return stack;
  return stack.replace(FRAME, (frame, id: string, line: string, column: string) => {
    const code = registry.get(Number(id));
    return (code && mapPosition(code, Number(line), Number(column))) ?? frame;
  });
}
