import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  // consumer/src/{schema,protocol}.ts import zod; resolve it (and everything) from ui/ once.
  resolve: { dedupe: ['zod', 'react', 'react-dom'] },
  // The live feed's Web Worker (src/feed.worker.ts) is an ES module worker, like the page.
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('../build/ui', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    // The CSP allows only 'self' scripts and styles: no inline anything.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.{ts,tsx}'],
  },
});
