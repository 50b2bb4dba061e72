import { HttpStatus } from '@nestjs/common';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Gauge } from 'prom-client';
import type loadHighs from 'highs';
import { metricsRegistry } from '@huizhen/observability';
import { DomainError } from '@huizhen/platform-http';

type HighsSolution = ReturnType<Awaited<ReturnType<typeof loadHighs>>['solve']>;

export interface WorkerSolve {
  relaxed: HighsSolution;
  mip: HighsSolution;
  lpMs: number;
  solveMs: number;
}

export const plannerSolvesInProgress = new Gauge({
  name: 'huizhen_planner_solves_in_progress',
  help: 'Rotation plans being solved by HiGHS in a worker thread',
  registers: [metricsRegistry],
});

/**
 * The solver thread, evaluated from this string so that no file has to sit beside the code
 * that starts it: the image ships only the compiled dist, and jest runs the sources as ESM
 * (no __dirname there). It loads HiGHS's CommonJS build from the path the caller resolved,
 * solves the LP relaxation (for the bound) then the MIP, and posts both back.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const loadHighs = require(workerData.highsPath);
loadHighs().then((h) => {
  let t0 = performance.now();
  const relaxed = h.solve(workerData.relaxedLp, workerData.relaxedOptions);
  const lpMs = performance.now() - t0;
  t0 = performance.now();
  const mip = h.solve(workerData.lp, workerData.mipOptions);
  parentPort.postMessage({ relaxed, mip, lpMs, solveMs: performance.now() - t0 });
}).catch((e) => parentPort.postMessage({ error: String((e && e.message) || e) }));
`;

let highsPath: string | null = null;
/** HiGHS's CommonJS entry, found from the working directory (repo root, or /app in the image) like any package. */
const resolveHighs = () =>
  (highsPath ??= createRequire(join(process.cwd(), 'package.json')).resolve('highs'));

/** One solve at a time per process: HiGHS takes a whole core for tens of seconds, and the machine serves requests too. */
let running = 0;
const MAX_CONCURRENT = 1;

/**
 * Solves the MIP and its LP relaxation in a worker thread, so the event loop keeps serving
 * requests for the 20-45 s a province-sized plan takes. HiGHS stops each solve at
 * `timeLimitSeconds`; the thread is killed if it outlives both solves plus a margin.
 */
export async function solveInWorker(
  lp: string,
  relaxedLp: string,
  opts: { timeLimitSeconds: number; mipGap: number },
): Promise<WorkerSolve> {
  if (running >= MAX_CONCURRENT) {
    throw new DomainError(
      'planner_busy',
      HttpStatus.SERVICE_UNAVAILABLE,
      'another rotation plan is being computed on this server; try again when it is done',
    );
  }
  running++;
  plannerSolvesInProgress.inc();
  const wallMs = (2 * opts.timeLimitSeconds + 15) * 1000;
  try {
    return await new Promise<WorkerSolve>((resolve, reject) => {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          highsPath: resolveHighs(),
          lp,
          relaxedLp,
          relaxedOptions: { output_flag: false, time_limit: opts.timeLimitSeconds },
          mipOptions: {
            output_flag: false,
            time_limit: opts.timeLimitSeconds,
            mip_rel_gap: opts.mipGap,
          },
        },
      });
      const timer = setTimeout(() => {
        void worker.terminate();
        reject(
          new DomainError(
            'planner_timeout',
            HttpStatus.SERVICE_UNAVAILABLE,
            `the planner did not finish within ${Math.round(wallMs / 1000)} s; plan fewer weeks or townships at once`,
          ),
        );
      }, wallMs);
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        fn();
        void worker.terminate();
      };
      worker.once('message', (m: WorkerSolve | { error: string }) =>
        settle(() => ('error' in m ? reject(new Error(`HiGHS failed: ${m.error}`)) : resolve(m))),
      );
      worker.once('error', (e) => settle(() => reject(e)));
      worker.once('exit', (code) =>
        settle(() => reject(new Error(`the planner thread exited (${code}) before answering`))),
      );
    });
  } finally {
    running--;
    plannerSolvesInProgress.dec();
  }
}
