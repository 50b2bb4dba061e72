/**
 * Build steps for a client that loads on a township's link (a light client):
 * - serviceWorker(): emits /sw.js from src/service-worker/sw.ts with the build's version, the
 *   first page's files to fetch at install, and the list of every asset the build names;
 * - precompress(): writes NAME.br and NAME.gz beside every text or WASM file of the build, which
 *   libs/web-client serves by Accept-Encoding (no compression work per request).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { transformWithOxc, type Logger, type Plugin } from 'vite';
import type { OutputBundle, OutputChunk } from 'rolldown';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** What index.html loads before any route chunk: its entry chunk, the entry's static imports (recursively) and their CSS. */
export function initialFiles(bundle: OutputBundle, htmlEntry: string): string[] {
  const chunks = Object.values(bundle).filter((o): o is OutputChunk => o.type === 'chunk');
  const entry = chunks.find(
    (c) => c.isEntry && c.facadeModuleId && resolve(c.facadeModuleId) === resolve(htmlEntry),
  );
  if (!entry) throw new Error(`no entry chunk for ${htmlEntry}`);
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  const seen = new Set<string>();
  const visit = (c: OutputChunk) => {
    if (seen.has(c.fileName)) return;
    seen.add(c.fileName);
    for (const css of (c as OutputChunk & { viteMetadata?: { importedCss: Set<string> } })
      .viteMetadata?.importedCss ?? [])
      seen.add(css);
    for (const i of c.imports) {
      const next = byName.get(i);
      if (next) visit(next);
    }
  };
  visit(entry);
  return [...seen];
}

export function serviceWorker(options: { source: string; htmlEntry: string }): Plugin {
  return {
    name: 'huizhen-service-worker',
    apply: 'build',
    async generateBundle(_output, bundle) {
      const assets = Object.keys(bundle)
        .filter((f) => f.startsWith('assets/'))
        .sort()
        .map((f) => `/${f}`);
      const precache = initialFiles(bundle, options.htmlEntry)
        .sort()
        .map((f) => `/${f}`);
      const version = createHash('sha256').update(assets.join('\n')).digest('hex').slice(0, 16);
      const { code } = await transformWithOxc(
        await readFile(options.source, 'utf8'),
        options.source,
        { lang: 'ts' },
      );
      const header = `// Built ${version}: see apps/web/src/service-worker/sw.ts\nconst BUILD_VERSION = ${JSON.stringify(version)};\nconst PRECACHE = ${JSON.stringify(precache)};\nconst ASSETS = ${JSON.stringify(assets)};\n`;
      this.emitFile({ type: 'asset', fileName: 'sw.js', source: header + code });
    },
  };
}

const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|wasm|txt)$/;
/** Smaller files gain too little from compression to be worth a second request path. */
const MIN_BYTES = 1024;

/**
 * Brotli at its best quality (11) for what the first page waits for; 9 for the rest (route chunks, the
 * viewer's multi-megabyte workers and codecs), where 11 costs 8-15x the build time for 5-9 % less.
 */
const QUALITY_INITIAL = 11;
const QUALITY_OTHER = 9;

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

export function precompress(options: { htmlEntry: string }): Plugin {
  let outDir = '';
  let initial = new Set<string>();
  let logger: Logger | null = null;
  return {
    name: 'huizhen-precompress',
    apply: 'build',
    enforce: 'post',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
      logger = config.logger;
    },
    generateBundle(_output, bundle) {
      initial = new Set(initialFiles(bundle, options.htmlEntry).map((f) => resolve(outDir, f)));
    },
    async closeBundle() {
      const started = Date.now();
      const files: string[] = [];
      for await (const f of walk(outDir)) if (COMPRESSIBLE.test(f)) files.push(f);
      let raw = 0;
      let br = 0;
      await Promise.all(
        files.map(async (file) => {
          const body = await readFile(file);
          if (body.byteLength < MIN_BYTES) return;
          const [b, g] = await Promise.all([
            brotli(body, {
              params: {
                [constants.BROTLI_PARAM_QUALITY]: initial.has(file)
                  ? QUALITY_INITIAL
                  : QUALITY_OTHER,
                [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength,
              },
            }),
            gz(body, { level: 9 }),
          ]);
          // Kept only when smaller: the server then falls back to the next coding, or the file itself.
          if (b.byteLength < body.byteLength) await writeFile(`${file}.br`, b);
          if (g.byteLength < body.byteLength) await writeFile(`${file}.gz`, g);
          raw += body.byteLength;
          br += Math.min(b.byteLength, body.byteLength);
        }),
      );
      const kb = (n: number) => `${(n / 1024).toFixed(0)} kB`;
      logger?.info(
        `precompressed ${files.length} files in ${relative(process.cwd(), outDir)}: ${kb(raw)} -> ${kb(br)} brotli (${Date.now() - started} ms)`,
      );
    },
  };
}
