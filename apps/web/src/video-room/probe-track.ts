/**
 * The pre-join probe's video: a 640x360 canvas of random blocks redrawn 15 times a second. It
 * compresses badly on purpose, so the encoder fills what the link carries (a still or simple
 * camera image would send less than the link can take and measure the camera, not the link); and
 * it works when the camera is blocked. Stopped with the probe.
 */
export function noiseTrack(): { track: MediaStreamTrack; stop(): void } {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 360;
  const ctx = canvas.getContext('2d')!;
  const block = 16;
  const draw = () => {
    for (let y = 0; y < canvas.height; y += block) {
      for (let x = 0; x < canvas.width; x += block) {
        ctx.fillStyle = `rgb(${(Math.random() * 256) | 0},${(Math.random() * 256) | 0},${(Math.random() * 256) | 0})`;
        ctx.fillRect(x, y, block, block);
      }
    }
  };
  draw();
  const timer = window.setInterval(draw, 1000 / 15);
  const track = canvas.captureStream(15).getVideoTracks()[0];
  return {
    track,
    stop() {
      window.clearInterval(timer);
      track.stop();
    },
  };
}
