/* global window */
// Quality that fits the link, focused and bounded (bench/parts/media-quality.mjs): per profile and
// path (bare harness, then ours), one call started on the clean link (so the join's time at a thin
// rate does not count), then the link set to the profile: after `settleSeconds` a window of what
// each side receives; then the link restored: every 2 s until video moves again both ways (at most
// `recoverSeconds`), and a last window on the clean link. Called from linkCalls (media-calls.mjs)
// with its pages and call functions.

const CLEAN = { rateKbps: 0, delayMs: 0, lossPct: 0, queueMs: 300 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A received video counts as moving again at this frame rate (frames decoded over 2 s): on a busy
 * two-core machine a recovered picture decodes only 7-8 fps, so 10 measured the CPU, not the link.
 */
const MOVING_FPS = 5;

export async function qualityCalls({
  link,
  calls,
  pages,
  profiles,
  received,
  results,
  log,
  settleSeconds = 15,
  windowSeconds = 20,
  recoverSeconds = 75,
}) {
  const sample = (path) =>
    Promise.all([
      pages[path].down.evaluate(() => window.__inbound()),
      pages[path].up.evaluate(() => window.__inbound()),
    ]);
  const directions = ['township receives (down)', 'specialist receives (up)'];
  const windowRows = (profile, path, a, b) =>
    directions.map((direction, i) => ({
      profile,
      path,
      direction,
      ...received(a[i], b[i]),
    }));
  for (const profile of profiles) {
    for (const path of ['bare', 'ours']) {
      await link.setBoth(CLEAN);
      const call = await calls[path](30_000);
      if (call.ms === null) {
        log(`${profile.name} ${path}: no first frame on the clean link`);
        await call.leave();
        continue;
      }
      await sleep(3000);
      await link.setBoth({ ...profile.link, queueMs: 300 });
      await sleep(settleSeconds * 1000);
      const a = await sample(path);
      await sleep(windowSeconds * 1000);
      const b = await sample(path);
      const during = windowRows(profile.name, path, a, b);
      results.windows.push(...during);
      log(`${profile.name} ${path}: ${JSON.stringify(during)}`);

      // The link recovers: how long until video moves again each way.
      await link.setBoth(CLEAN);
      const restoredAt = Date.now();
      const backAfter = [null, null];
      let prev = await sample(path);
      while (Date.now() - restoredAt < recoverSeconds * 1000 && backAfter.includes(null)) {
        await sleep(2000);
        const now = await sample(path);
        for (const i of [0, 1]) {
          if (backAfter[i] === null && received(prev[i], now[i]).fps >= MOVING_FPS)
            backAfter[i] = (Date.now() - restoredAt) / 1000;
        }
        prev = now;
      }
      await sleep(5000);
      const c = await sample(path);
      await sleep(10_000);
      const d = await sample(path);
      const after = windowRows(`${profile.name}, then clean`, path, c, d).map((w, i) => ({
        ...w,
        videoBackAfterS: backAfter[i],
      }));
      results.windows.push(...after);
      log(`${profile.name} ${path} restored: ${JSON.stringify(after)}`);
      await call.leave();
      await sleep(1000);
    }
  }
}
