/**
 * Chromium flags that work on this machine (see NOTES "Browser tests"): the one list every browser
 * test (test/browser, test/media) and the media bench (bench/support/media-calls.mjs bundles this
 * file) launch with. Import-free so that the bench can load it without the test toolchain.
 */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  // No GPU: SwiftShader gives the DICOM viewer WebGL in software.
  '--enable-unsafe-swiftshader',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // A fake camera and microphone, allowed without asking, for the video room.
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  // Both ends of a call on one machine: ICE may pair loopback candidates.
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
  // Text drawn the same way every run (screenshots).
  '--font-render-hinting=none',
];
