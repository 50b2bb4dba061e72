import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The repository's root: tests run from it (npm run test:unit), as the app's data paths assume. */
export const REPO_ROOT = process.cwd();

/** Server-side TypeScript sources (apps except the web client, libs), tests left out: path → text. */
export function serverSources(): Map<string, string> {
  const out = new Map<string, string>();
  for (const top of ['apps', 'libs']) {
    for (const pkg of readdirSync(join(REPO_ROOT, top))) {
      if (top === 'apps' && pkg === 'web') continue;
      const src = join(REPO_ROOT, top, pkg, 'src');
      let entries: string[];
      try {
        entries = readdirSync(src, { recursive: true, encoding: 'utf8' });
      } catch {
        continue;
      }
      for (const rel of entries) {
        if (
          !rel.endsWith('.ts') ||
          /\.(spec|e2e-spec)\.ts$/.test(rel) ||
          /test-support\.ts$/.test(rel)
        )
          continue;
        const file = join(src, rel);
        out.set(relative(REPO_ROOT, file), readFileSync(file, 'utf8'));
      }
    }
  }
  return out;
}

/** The text of the call's arguments from `open` (just after its parenthesis), split at top-level commas (first `n`). */
export function callArguments(text: string, open: number, n: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = open;
  for (let i = open; i < text.length && args.length < n; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) {
      if (depth === 0) {
        args.push(text.slice(start, i).trim());
        break;
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  return args;
}

export const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;
