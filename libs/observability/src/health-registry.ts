import { Injectable } from '@nestjs/common';

export interface HealthCheckResult {
  status: 'up' | 'down';
  [detail: string]: unknown;
}

/** Features register a probe (database, storage, media workers); /health reports them all. */
@Injectable()
export class HealthRegistry {
  private readonly probes = new Map<string, () => Promise<HealthCheckResult>>();

  register(name: string, probe: () => Promise<HealthCheckResult>): void {
    this.probes.set(name, probe);
  }

  async check(): Promise<{ status: 'ok' | 'error'; checks: Record<string, HealthCheckResult> }> {
    const checks: Record<string, HealthCheckResult> = {};
    await Promise.all(
      [...this.probes].map(async ([name, probe]) => {
        try {
          checks[name] = await withTimeout(probe(), 3000);
        } catch (e) {
          checks[name] = { status: 'down', error: e instanceof Error ? e.message : String(e) };
        }
      }),
    );
    const ok = Object.values(checks).every((c) => c.status === 'up');
    return { status: ok ? 'ok' : 'error', checks };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}
