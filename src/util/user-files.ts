import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errorMessage, UsageError } from '../errors.js';

/** Node's codes for a path the user named that cannot be read or written as asked (a typo, a folder, no permission). */
const USER_PATH_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'EROFS', 'ENAMETOOLONG', 'ELOOP']);

function explain(e: unknown, path: string, what: string, verb: 'read' | 'write'): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !USER_PATH_CODES.has(code)) return e;
  const why =
    code === 'ENOENT'
      ? 'no such file or folder'
      : code === 'EISDIR'
        ? 'it is a folder'
        : code === 'ENOTDIR'
          ? 'a part of the path is not a folder'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : code === 'EROFS'
              ? 'the file system is read-only'
              : errorMessage(e);
  return new UsageError(`cannot ${verb} ${what} ${path}: ${why}`, {
    hint: verb === 'read' ? 'check the path' : 'give a path in a folder you can write to',
    cause: e,
  });
}

/**
 * Reads a file whose path the user gave (a flag, a config file): a missing or unreadable file is the user's
 * to fix, so it is a UsageError (exit 2) naming `what` and the path, not an internal error.
 */
export function readUserFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw explain(e, path, what, 'read');
  }
}

/** Writes `text` to a path the user gave, creating its folder; an unwritable path is a UsageError (exit 2). */
export function writeUserFile(path: string, text: string, what = 'the file'): void {
  const full = resolve(path);
  try {
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  } catch (e) {
    throw explain(e, path, what, 'write');
  }
}
