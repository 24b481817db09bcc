import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fastifyStatic } from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { projectRoot } from '../paths.js';

/** Where `npm run build` (Vite) writes the workshop pages: dist/web. */
export function pagesDir(): string {
  return process.env['TOPLAB_WEB_DIR'] ?? join(projectRoot(), 'dist', 'web');
}

/**
 * The browser pages: the student workspace at `/` and `/join/:code`, the instructor dashboard at `/admin`,
 * their hashed assets under `/assets/` (cached for a year; the HTML never). Without a build, `/` says how
 * to make one instead of a bare 404.
 */
export async function registerPages(app: FastifyInstance): Promise<void> {
  const root = pagesDir();
  if (!existsSync(join(root, 'index.html'))) {
    const missing = { error: 'no-pages', message: `the workshop pages are not built (${root}): run 'npm run build'` };
    for (const path of ['/', '/join/:code', '/admin']) app.get(path, async (_req, reply) => reply.code(503).send(missing));
    return;
  }
  await app.register(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: '/assets/',
    decorateReply: true,
    wildcard: true,
    index: false,
    serve: true,
    immutable: true,
    maxAge: '365d',
    // npm run build writes .br and .gz copies (scripts/compress-web.mjs): sent when the browser accepts them.
    preCompressed: true,
  });
  const page = (file: string) => async (_req: unknown, reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').sendFile(file, root, { maxAge: 0, immutable: false });
  app.get('/', page('index.html'));
  app.get('/join/:code', page('index.html'));
  app.get('/admin', page('admin.html'));
}
