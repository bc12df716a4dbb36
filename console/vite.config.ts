// The console is a static bundle: `vite build` writes it into dist/console, which `ramkey serve` serves at /console.
// JSX goes through Vite's built-in oxc transform (automatic runtime): the bundle needs no React plugin, since
// nothing here uses fast refresh and the production build is all we ship.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    // Only dist/console is ours to empty; the server's build lives beside it in dist/.
    emptyOutDir: true,
    // A CSP with no 'unsafe-inline': nothing may be inlined as a data: script or module preload polyfill.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
