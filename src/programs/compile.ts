import type { Message } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

export interface CompiledProgram {
  name: string;
  /** JavaScript for Node 18, one self-contained file. */
  code: string;
  /** Content hash of the compiled code. */
  hash: string;
}

export class CompileError extends Error {
  constructor(
    readonly program: string,
    readonly source: string,
    readonly diagnostics: string[],
  ) {
    super(`${source} does not compile:\n` + diagnostics.map((d) => '  ' + d).join('\n'));
  }
}

const cache = new Map<string, CompiledProgram>();

/**
 * Compiles a TypeScript program with esbuild (type annotations stripped, imports bundled). It only
 * transforms text: no student code runs on the host.
 */
export async function compileProgram(name: string, entry: string, baseDir: string): Promise<CompiledProgram> {
  const key = entry + ':' + createHash('sha256').update(readFileSync(entry)).digest('hex');
  const hit = cache.get(key);
  if (hit) return { ...hit, name };
  try {
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node18',
      write: false,
      logLevel: 'silent',
      sourcemap: false,
      absWorkingDir: baseDir,
    });
    const code = result.outputFiles[0]?.text ?? '';
    const compiled = { name, code, hash: createHash('sha256').update(code).digest('hex').slice(0, 16) };
    cache.set(key, compiled);
    return compiled;
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors;
    if (!errors) throw e;
    throw new CompileError(name, relative(baseDir, entry) || entry, errors.map((m) => formatMessage(m, baseDir)));
  }
}

function formatMessage(m: Message, baseDir: string): string {
  if (!m.location) return m.text;
  const file = relative(baseDir, m.location.file) || m.location.file;
  return `${file}:${m.location.line}:${m.location.column + 1}: ${m.text}`;
}
