/**
 * Chromium flags that work on this machine (see NOTES "Browser tests"), for every media test and
 * the media bench (bench/support/media-calls.mjs bundles this file): one list. Import-free so that
 * the bench can load it without the test toolchain.
 */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
];
