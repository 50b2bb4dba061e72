import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { precompress, serviceWorker } from './vite-plugins/light-client';

const root = import.meta.dirname;

// No @vitejs/plugin-react: Vite 8's built-in oxc transform compiles JSX with the automatic
// runtime (no Fast Refresh in dev, which this project does not rely on). Cornerstone's image
// decoders run in module workers (worker.format 'es'), and vtk.js pulls in xmlbuilder2, which
// imports Node's `events`: the browser gets the npm `events` package in its place (the alias).
export default defineConfig({
  root,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  // /sw.js for repeat visits, then NAME.br and NAME.gz beside every built file (served by libs/web-client).
  plugins: [
    serviceWorker({
      source: resolve(root, 'src/service-worker/sw.ts'),
      htmlEntry: resolve(root, 'index.html'),
    }),
    precompress({ htmlEntry: resolve(root, 'index.html') }),
  ],
  resolve: {
    alias: {
      events: resolve(root, '../../node_modules/events/events.js'),
      // The video room's client lives in the monorepo's libs (shared with Node tests), bundled from source.
      '@huizhen/media-client': resolve(root, '../../libs/media-client/src/index.ts'),
      '@huizhen/media-signaling': resolve(root, '../../libs/media-signaling/src/index.ts'),
      '@huizhen/contract': resolve(root, '../../libs/contract/src/index.ts'),
    },
  },
  worker: { format: 'es' },
  build: {
    outDir: resolve(root, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 6000,
    reportCompressedSize: false,
    rolldownOptions: {
      // antd marks its modules "use client" for React Server Components; meaningless in an SPA bundle.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
      input: {
        main: resolve(root, 'index.html'),
        // The viewer's component-test page. Built with the app so the test exercises the same
        // production bundle; the server never serves it (only index.html and /assets/*).
        'viewer-harness': resolve(root, 'viewer-harness.html'),
      },
    },
  },
  optimizeDeps: {
    exclude: ['@cornerstonejs/dicom-image-loader'],
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:3000',
      '/dicom-web': 'http://127.0.0.1:3000',
      '/socket.io': { target: 'http://127.0.0.1:3000', ws: true },
    },
  },
});
