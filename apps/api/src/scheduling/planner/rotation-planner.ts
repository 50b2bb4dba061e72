import { solveInWorker } from './highs-worker';

/**
 * The rotation planner's model, free of the database: who may visit which township on which
 * days, how much waiting demand there is, and the solution HiGHS finds.
 *
 * Formulation (CPLEX LP format, solved as a MIP and, for its bound, as an LP relaxation):
 *
 *   periods p   the horizon's days grouped by (week, calendar month): which day inside a period
 *               a specialist goes does not change coverage, so days are chosen after solving
 *               (this removes the day-permutation symmetry that makes day-level MIPs slow)
 *   x[s,t,p]    integer: days specialist s visits township t in period p
 *               (only if s's specialty is demanded at t and s's hospital shares a consortium with t)
 *   y[b,w]      requests of demand bucket b (township, specialty, week or any week) served in week w
 *   z           the worst-served township's share of its demand
 *
 *   max  Σ y + F·z − ε·Σ x          F = fairnessWeight × total demand; ε keeps idle visits out
 *   s.t. Σ_t x[s,t,p] ≤ days s is free in p               one place a day
 *        Σ_{t,p∈m} x[s,t,p] ≤ on-site days left in month m   SCHEDULING_MAX_ONSITE_DAYS_PER_MONTH
 *        Σ_{b∋(t,k,w)} y[b,w] ≤ Σ_{s of k, p∈w} min(cap[s,p], D[t,k,w])·x[s,t,p]   a visit day serves cap requests
 *        Σ_w y[b,w] ≤ demand of b
 *        Σ_{b of t} y[b,·] ≥ D_t·z       for every township someone can reach
 */
export interface PlannerSpecialist {
  id: string;
  specialty: string;
  /** Townships the specialist may travel to (sharing a consortium). */
  reachable: string[];
  /** Local dates the specialist is free for a whole visit day, each with the visit's capacity. */
  freeDays: { date: string; capacity: number }[];
  /** On-site days still allowed per month `YYYY-MM` (cap minus days already rostered). */
  monthAllowance: Record<string, number>;
}

export interface PlannerDemand {
  organizationId: string;
  specialty: string;
  count: number;
  /** Week of the horizon (0-based), or null: any week. */
  week: number | null;
}

export interface PlannerProblem {
  /** The horizon's local dates, in order; week i = days[7i .. 7i+6]. */
  days: string[];
  specialists: PlannerSpecialist[];
  demand: PlannerDemand[];
  fairnessWeight: number;
  timeLimitSeconds: number;
  mipGap: number;
}

export interface PlannedVisit {
  specialistId: string;
  organizationId: string;
  specialty: string;
  date: string;
  capacity: number;
}

export interface PlannerSolution {
  status: string;
  visits: PlannedVisit[];
  coverage: { organizationId: string; demand: number; covered: number; ratio: number }[];
  totalDemand: number;
  reachableDemand: number;
  covered: number;
  minCoverage: number;
  objective: number;
  /** LP relaxation optimum: no plan can score higher. */
  lpBound: number;
  /** (lpBound − objective) / lpBound. */
  gapToLpBound: number;
  solveMs: number;
  lpMs: number;
  variables: number;
  constraints: number;
}

interface Built {
  lp: string;
  x: { name: string; s: number; t: string; p: number }[];
  y: { name: string; b: number; w: number }[];
  periods: { week: number; month: string; days: string[] }[];
  reachableDemand: number;
  /** Townships at least one qualified specialist can reach: the fairness term is over these. */
  reachableTowns: string[];
  constraints: number;
}

export function buildModel(pb: PlannerProblem): Built {
  const periods: Built['periods'] = [];
  const periodOf = new Map<string, number>();
  pb.days.forEach((date, i) => {
    const week = Math.floor(i / 7);
    const key = `${week}|${date.slice(0, 7)}`;
    if (!periodOf.has(key))
      periodOf.set(key, periods.push({ week, month: date.slice(0, 7), days: [] }) - 1);
    periods[periodOf.get(key)!].days.push(date);
  });
  const weeks = Math.ceil(pb.days.length / 7);
  const demandAt = new Map<string, number>(); // township|specialty -> total
  for (const d of pb.demand)
    if (d.count > 0)
      demandAt.set(
        `${d.organizationId}|${d.specialty}`,
        (demandAt.get(`${d.organizationId}|${d.specialty}`) ?? 0) + d.count,
      );

  const weekDemand = (t: string, k: string, w: number) =>
    pb.demand
      .filter(
        (d) => d.organizationId === t && d.specialty === k && (d.week === null || d.week === w),
      )
      .reduce((n, d) => n + Math.max(0, d.count), 0);
  const x: Built['x'] = [];
  const capTerms = new Map<string, string[]>(); // township|specialty|week -> "cap x"
  const dayRows: string[] = [];
  const monthRows: string[] = [];
  const bounds: string[] = [];
  pb.specialists.forEach((s, si) => {
    const towns = s.reachable.filter((t) => demandAt.has(`${t}|${s.specialty}`));
    if (!towns.length) return;
    const byMonth = new Map<string, string[]>();
    periods.forEach((p, pi) => {
      const free = s.freeDays.filter((f) => p.days.includes(f.date));
      if (!free.length || (s.monthAllowance[p.month] ?? 0) <= 0) return;
      const cap = Math.min(...free.map((f) => f.capacity));
      if (cap <= 0) return;
      const names: string[] = [];
      for (const t of towns) {
        if (weekDemand(t, s.specialty, p.week) <= 0) continue;
        const name = `x${si}_${towns.indexOf(t)}_${pi}`;
        x.push({ name, s: si, t, p: pi });
        names.push(name);
        bounds.push(` 0 <= ${name} <= ${Math.min(free.length, s.monthAllowance[p.month])}`);
        const k = `${t}|${s.specialty}|${p.week}`;
        if (!capTerms.has(k)) capTerms.set(k, []);
        // min(cap, demand): a visit day never serves more than the week's demand. Valid for whole
        // days and much tighter for the LP relaxation when a day's capacity exceeds the demand.
        capTerms.get(k)!.push(`${Math.min(cap, weekDemand(t, s.specialty, p.week))} ${name}`);
      }
      if (!names.length) return;
      if (names.length > 1) dayRows.push(`${names.join(' + ')} <= ${free.length}`);
      if (!byMonth.has(p.month)) byMonth.set(p.month, []);
      byMonth.get(p.month)!.push(...names);
    });
    for (const [month, names] of byMonth)
      monthRows.push(`${names.join(' + ')} <= ${s.monthAllowance[month]}`);
  });

  // Demand buckets and their service per week.
  const y: Built['y'] = [];
  const demRows: string[] = [];
  const served = new Map<string, string[]>(); // township -> y names
  const useAt = new Map<string, string[]>(); // township|specialty|week -> y names
  let reachableDemand = 0;
  pb.demand.forEach((d, bi) => {
    if (d.count <= 0) return;
    const ws = d.week === null ? [...Array(weeks).keys()] : d.week < weeks ? [d.week] : [];
    const names: string[] = [];
    for (const w of ws) {
      if (!capTerms.has(`${d.organizationId}|${d.specialty}|${w}`)) continue;
      const name = `y${bi}_${w}`;
      y.push({ name, b: bi, w });
      names.push(name);
      const k = `${d.organizationId}|${d.specialty}|${w}`;
      if (!useAt.has(k)) useAt.set(k, []);
      useAt.get(k)!.push(name);
    }
    if (!names.length) return;
    reachableDemand += d.count;
    demRows.push(`${names.join(' + ')} <= ${d.count}`);
    if (!served.has(d.organizationId)) served.set(d.organizationId, []);
    served.get(d.organizationId)!.push(...names);
  });
  const covRows = [...useAt].map(
    ([k, ys]) => `${ys.join(' + ')} - ${capTerms.get(k)!.join(' - ')} <= 0`,
  );
  const townDemand = new Map<string, number>();
  pb.demand.forEach((d) => {
    if (served.has(d.organizationId))
      townDemand.set(
        d.organizationId,
        (townDemand.get(d.organizationId) ?? 0) + Math.max(0, d.count),
      );
  });
  const fairRows = [...served].map(([t, ys]) => `${ys.join(' + ')} - ${townDemand.get(t)} z >= 0`);

  const F = pb.fairnessWeight * reachableDemand;
  const eps = 0.01;
  const objective = [
    ...y.map((v) => v.name),
    ...(F > 0 && fairRows.length ? [`${round(F)} z`] : []),
    ...x.map((v) => `- ${eps} ${v.name}`),
  ];
  const rows = [
    ...dayRows.map((r, i) => ` day${i}: ${r}`),
    ...monthRows.map((r, i) => ` month${i}: ${r}`),
    ...covRows.map((r, i) => ` cov${i}: ${r}`),
    ...demRows.map((r, i) => ` dem${i}: ${r}`),
    ...fairRows.map((r, i) => ` fair${i}: ${r}`),
  ];
  const lp = [
    'Maximize',
    ` obj: ${objective.length ? objective.join(' + ').replace(/\+ -/g, '-') : '0 z'}`,
    'Subject To',
    ...(rows.length ? rows : [' none: z <= 1']),
    'Bounds',
    ' 0 <= z <= 1',
    ...bounds,
    ...(x.length
      ? [
          'Generals',
          ...chunk(
            x.map((v) => v.name),
            20,
          ).map((c) => ` ${c.join(' ')}`),
        ]
      : []),
    'End',
  ].join('\n');
  return {
    lp,
    x,
    y,
    periods,
    reachableDemand,
    reachableTowns: [...served.keys()],
    constraints: rows.length,
  };
}

/** Solves the MIP and its LP relaxation; turns period counts into dated visits. */
export async function solvePlan(pb: PlannerProblem): Promise<PlannerSolution> {
  const model = buildModel(pb);
  const { relaxed, mip, lpMs, solveMs } = await solveInWorker(
    model.lp,
    model.lp.replace(/\nGenerals\n[\s\S]*?\nEnd$/, '\nEnd'),
    { timeLimitSeconds: pb.timeLimitSeconds, mipGap: pb.mipGap },
  );
  const hasSolution =
    mip.Status === 'Optimal' ||
    ((mip.Status === 'Time limit reached' || mip.Status === 'Iteration limit reached') &&
      Object.keys(mip.Columns).length > 0 &&
      'Primal' in (Object.values(mip.Columns)[0] ?? {}));
  if (!hasSolution) throw new Error(`the planner found no plan: HiGHS says ${mip.Status}`);
  const value = (name: string) =>
    Math.round((mip.Columns[name] as { Primal?: number } | undefined)?.Primal ?? 0);

  // Spread each (specialist, period) count over the free days of the period, townships in turn.
  const visits: PlannedVisit[] = [];
  const byCell = new Map<string, { t: string; n: number }[]>();
  for (const v of model.x) {
    const n = value(v.name);
    if (n <= 0) continue;
    const k = `${v.s}|${v.p}`;
    if (!byCell.has(k)) byCell.set(k, []);
    byCell.get(k)!.push({ t: v.t, n });
  }
  for (const [k, towns] of byCell) {
    const [si, pi] = k.split('|').map(Number);
    const s = pb.specialists[si];
    const free = s.freeDays
      .filter((f) => model.periods[pi].days.includes(f.date))
      .sort((a, b) => a.date.localeCompare(b.date));
    const queue: string[] = [];
    for (let left = true; left;) {
      left = false;
      for (const t of towns) {
        if (t.n <= 0) continue;
        queue.push(t.t);
        t.n--;
        left = true;
      }
    }
    queue.forEach((t, i) =>
      visits.push({
        specialistId: s.id,
        organizationId: t,
        specialty: s.specialty,
        date: free[i].date,
        capacity: free[i].capacity,
      }),
    );
  }
  visits.sort(
    (a, b) => a.date.localeCompare(b.date) || a.specialistId.localeCompare(b.specialistId),
  );

  const coveredBy = new Map<string, number>();
  for (const v of model.y) {
    const d = pb.demand[v.b];
    coveredBy.set(
      d.organizationId,
      (coveredBy.get(d.organizationId) ?? 0) +
        ((mip.Columns[v.name] as { Primal?: number } | undefined)?.Primal ?? 0),
    );
  }
  const demandBy = new Map<string, number>();
  for (const d of pb.demand)
    demandBy.set(d.organizationId, (demandBy.get(d.organizationId) ?? 0) + Math.max(0, d.count));
  const coverage = [...demandBy].map(([organizationId, demand]) => {
    const covered = Math.round((coveredBy.get(organizationId) ?? 0) * 100) / 100;
    return {
      organizationId,
      demand,
      covered,
      ratio: demand ? Math.round((covered / demand) * 1000) / 1000 : 1,
    };
  });
  const covered = coverage.reduce((n, c) => n + c.covered, 0);
  const reachable = coverage.filter((c) => model.reachableTowns.includes(c.organizationId));
  const lpBound = relaxed.Status === 'Optimal' ? relaxed.ObjectiveValue : NaN;
  return {
    status: mip.Status,
    visits,
    coverage,
    totalDemand: [...demandBy.values()].reduce((a, b) => a + b, 0),
    reachableDemand: model.reachableDemand,
    covered: Math.round(covered * 100) / 100,
    minCoverage: reachable.length ? Math.min(...reachable.map((c) => c.ratio)) : 0,
    objective: mip.ObjectiveValue,
    lpBound,
    gapToLpBound: lpBound > 0 ? Math.max(0, (lpBound - mip.ObjectiveValue) / lpBound) : 0,
    solveMs: Math.round(solveMs),
    lpMs: Math.round(lpMs),
    variables: model.x.length + model.y.length + 1,
    constraints: model.constraints,
  };
}

function chunk<T>(a: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < a.length; i += n) out.push(a.slice(i, i + n));
  return out;
}

const round = (v: number) => Math.round(v * 1000) / 1000;
