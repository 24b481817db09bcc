import type Docker from 'dockerode';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Loads dockerode without the parts toplab never uses at start-up. dockerode requires, eagerly, gRPC and
 * protobuf (for BuildKit sessions), ssh2 (for ssh:// engines) and tar-fs (for build contexts): about 300 ms
 * of CPU on every CLI command, more than half of the CLI's start-up, measured with process.cpuUsage around
 * each require. Each of those modules is put in the CommonJS cache as a stand-in that loads the real
 * module the first time it is used, so every feature still works, just without paying for it up front.
 */
export function loadDockerode(): new () => Docker {
  const require = createRequire(import.meta.url);
  const main = require.resolve('dockerode');
  const fromDockerode = createRequire(main);
  const modem = fromDockerode.resolve('docker-modem');
  defer(require, join(dirname(main), 'session.js'), 'function');
  defer(require, join(dirname(modem), 'ssh.js'), 'function');
  defer(require, fromDockerode.resolve('tar-fs'), 'object');
  return require('dockerode') as new () => Docker;
}

type Loader = ReturnType<typeof createRequire>;

function defer(require: Loader, path: string, kind: 'function' | 'object'): void {
  if (require.cache[path]) return;
  let real: unknown;
  const load = (): unknown => {
    if (real === undefined) {
      delete require.cache[path];
      real = require(path);
    }
    return real;
  };
  const exports =
    kind === 'function'
      ? function (this: unknown, ...args: unknown[]): unknown {
          return (load() as (...a: unknown[]) => unknown).apply(this, args);
        }
      : new Proxy({}, { get: (_t, key) => (load() as Record<string | symbol, unknown>)[key] });
  // A finished module record, as require() would leave it.
  require.cache[path] = {
    id: path,
    filename: path,
    loaded: true,
    exports,
    children: [],
    paths: [],
    path: dirname(path),
  } as unknown as NodeJS.Module;
}
