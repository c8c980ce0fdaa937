import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// The designer imports the engine's isomorphic modules (engine/src/meta, engine/src/rules) as
// source, like runtime-ui, so the preview, the runtime form and the server agree by construction.
// The engine serves designer/dist at /designer (else the placeholder in public/).
export default defineConfig({
  root: here,
  base: '/designer/',
  publicDir: false, // public/ holds the placeholder page served when there is no build
  plugins: [react()],
  server: { fs: { allow: [path.resolve(here, '..')] }, proxy: { '/api': 'http://127.0.0.1:3000' } },
  build: {
    outDir: path.join(here, 'dist'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 4000,
  },
});
