import { execFileSync } from 'node:child_process';
import dockerSetup from '../docker/global-setup.js';
import { ROOT } from './server.js';

/** The engine, the lab image and the CLI (as for the Docker tests), then the pages (Vite, into dist/web, with compressed copies). */
export default async function setup(): Promise<void> {
  await dockerSetup();
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  execFileSync(process.execPath, ['scripts/compress-web.mjs'], { cwd: ROOT, stdio: 'inherit' });
}
