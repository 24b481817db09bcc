import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

// Two pages (the student workspace and the instructor dashboard) built into dist/web, which the workshop
// server serves. Mermaid and CodeMirror are dynamic imports: they load only when a page needs them.
export default defineConfig({
  root: here('.'),
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: true,
    rollupOptions: {
      input: { student: here('index.html'), admin: here('admin.html') },
    },
  },
  logLevel: 'warn',
});
