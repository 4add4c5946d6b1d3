/**
 * A file an app reads or writes. Local paths and `file://` URLs name a file on the
 * worker's filesystem; other schemes (https, ftp, rsync, globus) are staged in and out.
 * Plain data: it survives structured cloning as a tagged object and is rebuilt on arrival.
 */
import { basename, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Tag carried by a cloned File so the other side can rebuild it. */
export const FILE_TAG = '__parslFile';

export class File {
  readonly url: string;
  readonly scheme: string;
  readonly netloc: string;
  readonly path: string;
  /** Where the file lives on the worker; for remote schemes, set by staging. */
  localPath: string | undefined;
  readonly [FILE_TAG] = true;

  constructor(url: string | URL | File) {
    if (url instanceof File) url = url.url;
    const text = String(url);
    if (text.length === 0) throw new TypeError('File needs a path or URL, got an empty string');
    const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(text);
    if (!schemeMatch) {
      this.scheme = 'file';
      this.netloc = '';
      this.path = text;
      this.url = text;
      this.localPath = text;
    } else {
      const parsed = new URL(text);
      this.scheme = schemeMatch[1]!.toLowerCase();
      this.netloc = parsed.host;
      this.url = text;
      if (this.scheme === 'file') {
        this.path = fileURLToPath(parsed);
        this.localPath = this.path;
      } else {
        this.path = decodeURIComponent(parsed.pathname);
        this.localPath = undefined;
      }
    }
  }

  /** The local path on the worker (for remote files: where staging puts it, else their name). */
  get filepath(): string {
    if (this.localPath !== undefined) return this.localPath;
    return this.scheme === 'file' ? this.path : basename(this.path);
  }

  /** Absolute local path, resolved against the current directory. */
  get absolutePath(): string {
    return isAbsolute(this.filepath) ? this.filepath : resolve(this.filepath);
  }

  toString(): string {
    return this.filepath;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `File(${this.url})`;
  }

  toJSON(): { url: string; localPath?: string } {
    return this.localPath === undefined || this.localPath === this.path
      ? { url: this.url } : { url: this.url, localPath: this.localPath };
  }

  /** Rebuilds a File from its cloned form (prototype lost in transit). */
  static revive(cloned: { url: string; localPath?: string }): File {
    const file = new File(cloned.url);
    if (cloned.localPath !== undefined) file.localPath = cloned.localPath;
    return file;
  }

  static isClonedFile(value: unknown): value is { url: string; localPath?: string } {
    return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[FILE_TAG] === true
      && typeof (value as Record<string, unknown>)['url'] === 'string';
  }
}
