// Quality that fits the link, bounded: our web client and the bare mediasoup harness through the
// emulated township link, one call per path and profile, started clean and then degraded and
// restored during the call (bench/support/media-quality.mjs). Env: HUIZHEN_BENCH_MEDIA_PROFILES
// (indexes into PROFILES, default "3": 100 kbps), HUIZHEN_BENCH_QUALITY_SETTLE (15 s),
// HUIZHEN_BENCH_MEDIA_WINDOW (20 s), HUIZHEN_BENCH_QUALITY_RECOVER (75 s at most).
import os from 'node:os';
import { PROFILES, linkCalls } from '../support/media-calls.mjs';

export const describe =
  'quality that fits the link: per profile, what each side receives (resolution, fps, frozen, audio concealment, video kbit/s) during the profile and after the link recovers, ours vs the bare harness in the same run';

export async function run({ repoRoot }) {
  const env = process.env;
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  const notes = [`load average at start: ${load()} on ${os.cpus().length} cores`];
  const profiles = (env.HUIZHEN_BENCH_MEDIA_PROFILES ?? '3')
    .split(',')
    .map((i) => PROFILES[Number(i)]);
  const quality = {
    settleSeconds: Number(env.HUIZHEN_BENCH_QUALITY_SETTLE ?? 15),
    windowSeconds: Number(env.HUIZHEN_BENCH_MEDIA_WINDOW ?? 20),
    recoverSeconds: Number(env.HUIZHEN_BENCH_QUALITY_RECOVER ?? 75),
  };
  const r = await linkCalls(repoRoot, {
    profiles,
    quality,
    log: (m) => console.log(`  [media quality] ${m}`),
  });
  if (r.skipped) return { rows: [], notes: [...notes, r.skipped] };
  notes.push(...r.notes);
  notes.push(
    `each call starts on the clean link; the profile is set 3 s after the first frame, the window starts ${quality.settleSeconds} s later and lasts ${quality.windowSeconds} s; then the link is clean again: videoBackAfterS = seconds until the received video decodes >= 5 fps over 2 s (null: not within ${quality.recoverSeconds} s), then a 10 s window`,
  );
  notes.push(
    'resolution of the busiest received video stream, fps and kbps from getStats deltas, frozen = totalFreezesDuration share, concealed = concealedSamples / totalSamplesReceived of live audio',
  );
  notes.push(`load average at end: ${load()}`);
  const rows = r.windows.map((w) => ({
    metric: `${w.path}: ${w.direction}, ${w.profile}`,
    value: w.resolution,
    unit: 'resolution',
    fps: w.fps,
    videoKbps: w.videoKbps,
    frozenPct: w.frozenPct,
    audioKbps: w.audioKbps,
    concealedPct: w.concealedPct,
    ...(w.videoBackAfterS !== undefined ? { videoBackAfterS: w.videoBackAfterS ?? 'no' } : {}),
  }));
  return { rows, notes };
}
