/**
 * A file an app reads or writes. Local paths and `file://` URLs name a file on the
 * worker's filesystem; other schemes (http, https, ftp, rsync or `host:path`, zip) are
 * staged in and out by the executor's staging providers, which set `localPath`.
 * Plain data: it survives structured cloning as a tagged object and is rebuilt on arrival.
 */
import { basename, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Tag carried by a cloned File so the other side can rebuild it. */
export const FILE_TAG = '__parslFile';

/** Schemes that name a file on a server, so need a host. */
const HOSTED_SCHEMES: ReadonlySet<string> = new Set(['http', 'https', 'ftp', 'rsync']);
/** `[user@]host:/path` or `user@host:path`, as rsync and scp write them (ssh transport). */
const SSH_TARGET = /^(?:([\w.+-]+)@)?([A-Za-z0-9](?:[\w.-]*[A-Za-z0-9])?):(.+)$/;

interface ParsedUrl { scheme: string; netloc: string; path: string; localPath: string | undefined }

function malformed(text: string, reason: string): TypeError {
  return new TypeError(`malformed File URL '${text}': ${reason}`);
}

function parse(text: string): ParsedUrl {
  if (/^zip:/i.test(text)) {
    // Parsl's zip URLs: `zip:/path/archive.zip/member/in/it` (no host).
    let netloc = '';
    let path = text.slice(4);
    if (path.startsWith('//')) {
      const slash = path.indexOf('/', 2);
      netloc = path.slice(2, slash < 0 ? undefined : slash);
      path = slash < 0 ? '' : path.slice(slash);
    }
    const at = path.indexOf('.zip/');
    if (at < 0 || at + 5 >= path.length) throw malformed(text, 'a zip URL names a member: zip:/path/archive.zip/member');
    return { scheme: 'zip', netloc, path, localPath: undefined };
  }
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(text);
  const scheme = schemeMatch?.[1]!.toLowerCase();
  if (scheme !== undefined && (text.startsWith('//', schemeMatch![0].length) || scheme === 'file')) {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch (error) {
      throw malformed(text, (error as Error).message);
    }
    if (scheme === 'file') {
      const path = fileURLToPath(parsed);
      return { scheme, netloc: '', path, localPath: path };
    }
    if (HOSTED_SCHEMES.has(scheme) && parsed.hostname === '') throw malformed(text, 'no host');
    const path = decodeURIComponent(parsed.pathname);
    if (HOSTED_SCHEMES.has(scheme) && basename(path) === '') throw malformed(text, 'the path names no file');
    return { scheme, netloc: parsed.host, path, localPath: undefined };
  }
  if (scheme !== undefined && HOSTED_SCHEMES.has(scheme)) throw malformed(text, `expected ${scheme}://host/path`);
  const ssh = SSH_TARGET.exec(text);
  if (ssh !== null && (ssh[1] !== undefined || /^[/~]/.test(ssh[3]!))) {
    if (basename(ssh[3]!) === '') throw malformed(text, 'the path names no file');
    return { scheme: 'rsync', netloc: ssh[1] === undefined ? ssh[2]! : `${ssh[1]}@${ssh[2]}`, path: ssh[3]!, localPath: undefined };
  }
  return { scheme: 'file', netloc: '', path: text, localPath: text };
}

export class File {
  readonly url: string;
  readonly scheme: string;
  /** Host (and port, user) of a remote file; '' for local and zip files. */
  readonly netloc: string;
  /** Path on the server (remote), on this machine (local), or `archive.zip/member` (zip). */
  readonly path: string;
  /** Where the file lives on the worker; for remote schemes, set by staging. */
  localPath: string | undefined;
  readonly [FILE_TAG] = true;

  /** Throws TypeError naming the URL when it is empty or malformed. */
  constructor(url: string | URL | File) {
    if (url instanceof File) url = url.url;
    const text = String(url);
    if (text.length === 0) throw new TypeError('File needs a path or URL, got an empty string');
    const parsed = parse(text);
    this.url = text;
    this.scheme = parsed.scheme;
    this.netloc = parsed.netloc;
    this.path = parsed.path;
    this.localPath = parsed.localPath;
  }

  /** The file's name: the last part of its path (of the member, for zip files). */
  get filename(): string {
    return basename(this.path);
  }

  /** The local path on the worker (for remote files: where staging puts it, else their name). */
  get filepath(): string {
    if (this.localPath !== undefined) return this.localPath;
    return this.scheme === 'file' ? this.path : this.filename;
  }

  /** Absolute local path, resolved against the current directory. */
  get absolutePath(): string {
    return isAbsolute(this.filepath) ? this.filepath : resolve(this.filepath);
  }

  /** A fresh File for the same URL, without any staging's local path (as Parsl's cleancopy). */
  cleancopy(): File {
    return new File(this.url);
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
