import { readFileSync } from 'node:fs';

/** package.json's version, put in by the build (scripts/build.mjs); read from package.json when run from source (tests). */
declare const TOPLAB_VERSION: string | undefined;

/** What `lab --version` prints (without the newline): `toplab <package.json's version>`. */
export function versionLine(): string {
  const v =
    typeof TOPLAB_VERSION === 'string'
      ? TOPLAB_VERSION
      : (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return `toplab ${v}`;
}
