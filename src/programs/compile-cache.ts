import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';

/**
 * Compiled programs on disk, so that `lab up`, `lab check` and `lab grade` do not start esbuild for sources
 * they have compiled before. An entry is found by the entry file's content (and path relative to the lab
 * folder, the build options and esbuild's version) and is used only if every file esbuild read for it
 * (its metafile inputs: the entry and everything it imports) still has the same content hash.
 *
 * The folder is $TOPLAB_CACHE_DIR, or $XDG_CACHE_HOME/toplab/programs, or ~/.cache/toplab/programs. A cache
 * that cannot be read or written is ignored: compiling is always the fallback.
 */
export function compileCacheDir(): string {
  if (process.env.TOPLAB_CACHE_DIR) return process.env.TOPLAB_CACHE_DIR;
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'toplab', 'programs');
}

export interface CacheKeyParts {
  entry: string;
  source: Buffer;
  baseDir: string;
  /** The build options, serialised. */
  fingerprint: string;
}

interface Entry {
  inputs: { path: string; sha256: string }[];
  code: string;
  hash: string;
}

let esbuildVersion: string | undefined;
function compilerVersion(): string {
  if (esbuildVersion === undefined) {
    try {
      const require = createRequire(import.meta.url);
      esbuildVersion = (JSON.parse(readFileSync(require.resolve('esbuild/package.json'), 'utf8')) as { version?: string }).version ?? '?';
    } catch {
      esbuildVersion = '?';
    }
  }
  return esbuildVersion;
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

function entryFile(k: CacheKeyParts): string {
  const key = sha256(['toplab-compile-1', compilerVersion(), k.fingerprint, relative(k.baseDir, k.entry), sha256(k.source)].join('\0'));
  return join(compileCacheDir(), `${key}.json`);
}

export function readCompiled(k: CacheKeyParts): { code: string; hash: string } | undefined {
  try {
    const e = JSON.parse(readFileSync(entryFile(k), 'utf8')) as Entry;
    for (const input of e.inputs) {
      if (sha256(readFileSync(resolve(k.baseDir, input.path))) !== input.sha256) return undefined;
    }
    if (typeof e.code !== 'string' || sha256(e.code).slice(0, 16) !== e.hash) return undefined;
    return { code: e.code, hash: e.hash };
  } catch {
    return undefined;
  }
}

/** Stores a compiled program; `inputs` are esbuild's metafile input paths (relative to baseDir). */
export function writeCompiled(k: CacheKeyParts, inputs: string[], compiled: { code: string; hash: string }): void {
  try {
    const entry: Entry = {
      inputs: inputs.map((p) => ({ path: p, sha256: sha256(readFileSync(resolve(k.baseDir, p))) })),
      code: compiled.code,
      hash: compiled.hash,
    };
    const file = entryFile(k);
    mkdirSync(compileCacheDir(), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry));
    renameSync(tmp, file);
  } catch {
    // No cache this time; the program was compiled all the same.
  }
}
