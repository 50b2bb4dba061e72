// npm run bench [-- <part> ...]: runs benchmark parts, prints a table per part and writes
// bench/results/<part>.json with the machine's description. A part is bench/parts/<part>.mjs
// exporting `describe` (one line) and `async run(ctx)` returning { rows: [{metric, value, unit, ...}], notes? }.
import { execSync } from 'node:child_process';
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(join(here, 'parts'))
  .filter((f) => f.endsWith('.mjs'))
  .map((f) => f.slice(0, -4))
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const w of wanted) {
  if (!available.includes(w)) {
    console.error(`unknown bench part "${w}"; parts: ${available.join(', ')}`);
    process.exit(2);
  }
}
const parts = wanted.length ? wanted : available;

function sh(cmd) {
  try {
    return execSync(cmd, { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

const machine = {
  host: os.hostname(),
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  os: sh('. /etc/os-release && echo "$PRETTY_NAME"') ?? `${os.type()} ${os.release()}`,
  node: process.version,
  postgres: sh('psql -h 127.0.0.1 -U postgres -tAc "SHOW server_version" postgres'),
  commit: sh('git rev-parse --short HEAD'),
  at: new Date().toISOString(),
};

function table(rows) {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const fmt = (v) =>
    typeof v === 'number'
      ? Number.isInteger(v)
        ? String(v)
        : v.toFixed(v < 10 ? 2 : 1)
      : String(v ?? '');
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => fmt(r[c]).length)));
  const line = (cells) => cells.map((s, i) => s.padEnd(width[i])).join('  ');
  return [
    line(cols),
    line(width.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(cols.map((c) => fmt(r[c])))),
  ].join('\n');
}

mkdirSync(join(here, 'results'), { recursive: true });
let failed = 0;
for (const part of parts) {
  const mod = await import(pathToFileURL(join(here, 'parts', `${part}.mjs`)).href);
  console.log(`\n## ${part}: ${mod.describe ?? ''}`);
  const started = Date.now();
  try {
    const result = await mod.run({ machine, repoRoot: join(here, '..') });
    console.log(table(result.rows));
    for (const n of result.notes ?? []) console.log(`  note: ${n}`);
    const file = join(here, 'results', `${part}.json`);
    writeFileSync(
      file,
      JSON.stringify(
        { part, machine, seconds: (Date.now() - started) / 1000, ...result },
        null,
        2,
      ) + '\n',
    );
    console.log(`  -> ${file}`);
  } catch (e) {
    failed++;
    console.error(`bench part ${part} failed:`, e);
  }
}
process.exit(failed ? 1 : 0);
