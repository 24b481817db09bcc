/**
 * The sh scripts toplab runs in nodes, observers and host helpers: real files beside this module
 * (src/sh/*.sh), checked by shellcheck (`npm run lint`), read once on first use. The build copies them to
 * dist/sh/, beside the bundle, where the bundled CLI and server find them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ScriptName = 'run-wrapper' | 'sandbox-state' | 'capture-start' | 'capture-stop' | 'host-rules';

const here = dirname(fileURLToPath(import.meta.url));
// From source this module sits in src/sh; bundled, in dist/ with the scripts in dist/sh.
const dir = existsSync(join(here, 'sh', 'run-wrapper.sh')) ? join(here, 'sh') : here;
const cache = new Map<ScriptName, string>();

/** The text of src/sh/<name>.sh, to run as `sh -c <text> <$0> <args...>`. */
export function script(name: ScriptName): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(join(dir, `${name}.sh`), 'utf8');
    cache.set(name, text);
  }
  return text;
}
