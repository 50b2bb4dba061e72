/**
 * Registers /sw.js (service-worker/sw.ts) after the first page has loaded, in production builds
 * only: `vite dev` serves modules that must never be cached. A browser without service workers,
 * or a registration that fails (plain HTTP on a LAN address is not a secure context), simply
 * loads everything from the network as before.
 */
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  const register = () => {
    navigator.serviceWorker
      .register('/sw.js', { scope: '/' })
      .catch((err: unknown) => console.warn('service worker not registered', err));
  };
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}
