/**
 * The service worker, for repeat visits on slow links (built to /sw.js by
 * vite-plugins/service-worker.ts, which replaces the three constants below; registered by
 * register.ts in production builds only).
 *
 * - /assets/*: cache-first. Their names carry a content hash, so a cached copy is never stale. The
 *   first page's files (entry, its static imports, CSS) are fetched at install; route chunks (the
 *   viewer, the room, the dashboard) are kept once a route has loaded them, never fetched ahead.
 * - Page navigations (index.html, the SPA fallback): network-first, the cached shell when the
 *   network fails, so a new deploy is seen on the next load.
 * - Nothing else is touched: /api, /dicom-web, /media, /events, /socket.io, /health, /metrics go to
 *   the network as if there were no worker (patient data is never cached here).
 * Versioned by the build: a new build installs a new worker, which keeps the assets the new build
 * still names and deletes the rest and the old shell.
 */

declare const BUILD_VERSION: string;
declare const PRECACHE: string[];
declare const ASSETS: string[];

interface ExtendableEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  request: Request;
  /** The navigation preload's response (started while the worker boots), when enabled. */
  preloadResponse?: Promise<Response | undefined>;
  respondWith(r: Response | Promise<Response>): void;
}
interface WorkerScope {
  location: Location;
  registration: { navigationPreload?: { enable(): Promise<void> } };
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  addEventListener(type: 'install' | 'activate', fn: (e: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (e: FetchEvent) => void): void;
}

const scope = self as unknown as WorkerScope;
const ASSET_CACHE = 'huizhen-assets';
const SHELL_CACHE = `huizhen-shell-${BUILD_VERSION}`;
const SHELL_KEY = '/index.html';
const ASSET_SET = new Set(ASSETS);
const PLATFORM = /^\/(api|dicom-web|media|events|socket\.io|health|metrics)(\/|$)/;

scope.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const assets = await caches.open(ASSET_CACHE);
      const missing: string[] = [];
      for (const url of PRECACHE) if (!(await assets.match(url))) missing.push(url);
      await assets.addAll(missing);
      const shell = await caches.open(SHELL_CACHE);
      await shell.add(new Request(SHELL_KEY, { cache: 'no-cache' }));
      await scope.skipWaiting();
    })(),
  );
});

scope.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys())
        if (name.startsWith('huizhen-shell-') && name !== SHELL_CACHE) await caches.delete(name);
      const assets = await caches.open(ASSET_CACHE);
      for (const request of await assets.keys())
        if (!ASSET_SET.has(new URL(request.url).pathname)) await assets.delete(request);
      // The page's request starts while the worker boots instead of after (one less wait on a slow link).
      await scope.registration.navigationPreload?.enable();
      await scope.clients.claim();
    })(),
  );
});

async function cacheFirst(request: Request): Promise<Response> {
  const cache = await caches.open(ASSET_CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.type === 'basic') await cache.put(request, response.clone());
  return response;
}

async function networkFirst(
  request: Request,
  preloaded?: Promise<Response | undefined>,
): Promise<Response> {
  const cache = await caches.open(SHELL_CACHE);
  try {
    const response = (await preloaded?.catch(() => undefined)) ?? (await fetch(request));
    if (response.ok && (response.headers.get('Content-Type') ?? '').startsWith('text/html'))
      await cache.put(SHELL_KEY, response.clone());
    return response;
  } catch (err) {
    const hit = await cache.match(SHELL_KEY);
    if (hit) return hit;
    throw err;
  }
}

scope.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== scope.location.origin || PLATFORM.test(url.pathname)) return;
  if (url.pathname.startsWith('/assets/') && ASSET_SET.has(url.pathname))
    event.respondWith(cacheFirst(request));
  else if (request.mode === 'navigate')
    event.respondWith(networkFirst(request, event.preloadResponse));
});
