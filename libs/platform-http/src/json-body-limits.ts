/**
 * JSON bodies are limited to body-parser's 100 KB, which refuses what no route of ours needs
 * (413). A route that declares more (the planner's demand: 20,000 rows) raises the limit for
 * itself only: its feature registers it when its controller loads, and configureHttpApp parses
 * that route's JSON with the larger limit before the default parser sees it.
 */
export interface LargeJsonBody {
  method: 'POST' | 'PUT' | 'PATCH';
  /** The route's path, exactly (no parameters). */
  path: string;
  /** body-parser's notation: '4mb'. */
  limit: string;
}

const LARGE_JSON_BODIES: LargeJsonBody[] = [];

export function allowLargeJsonBody(route: LargeJsonBody): void {
  if (!LARGE_JSON_BODIES.some((r) => r.method === route.method && r.path === route.path))
    LARGE_JSON_BODIES.push(route);
}

/** The route's larger limit, or undefined for the default. */
export function largeJsonBodyOf(req: { method?: string; url?: string }): LargeJsonBody | undefined {
  const path = (req.url ?? '').split('?')[0];
  return LARGE_JSON_BODIES.find((r) => r.method === req.method && r.path === path);
}

/** The largest limit any route declared (one parser serves them all; each route's own is checked after). */
export function largeJsonBodyLimit(): string | undefined {
  return LARGE_JSON_BODIES.length
    ? LARGE_JSON_BODIES.map((r) => r.limit)
        .sort(byBytes)
        .at(-1)
    : undefined;
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2 };
const bytes = (limit: string) => {
  const m = /^(\d+)(b|kb|mb)$/i.exec(limit);
  return m ? Number(m[1]) * UNITS[m[2].toLowerCase()] : 0;
};
const byBytes = (a: string, b: string) => bytes(a) - bytes(b);

/** A JSON request, as body-parser's default type test reads it. */
export function isJsonRequest(req: { headers: Record<string, string | string[] | undefined> }) {
  return /^application\/json\s*(;|$)/i.test(String(req.headers['content-type'] ?? ''));
}
