import type { EntityManager } from 'typeorm';

/** PostgreSQL error facts the scheduling feature turns into 409s. */
export const EXCLUSION_VIOLATION = '23P01';
export const UNIQUE_VIOLATION = '23505';
export function pgCode(e: unknown): string | undefined {
  return (e as { code?: string; driverError?: { code?: string } })?.code ?? (e as { driverError?: { code?: string } })?.driverError?.code;
}
export function pgConstraint(e: unknown): string | undefined {
  return (e as { constraint?: string })?.constraint ?? (e as { driverError?: { constraint?: string } })?.driverError?.constraint;
}

/** TypeORM answers UPDATE/DELETE with [rows, rowCount]; this gives the RETURNING rows either way. */
export async function returning<T>(m: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const r = await m.query(sql, params);
  return Array.isArray(r) && r.length === 2 && Array.isArray(r[0]) && typeof r[1] === 'number' ? (r[0] as T[]) : (r as T[]);
}

/** `[start,end)` as PostgreSQL range text. */
export const rangeText = (start: Date, end: Date) => `[${start.toISOString()},${end.toISOString()})`;

/** Seats that count against a slot (and against the no-double-booking constraint). */
export const HOLDING_STATUSES = ['booked', 'fulfilled', 'no_show'];

export interface ClaimedSeat {
  slotId: string;
  shiftId: string;
  specialistId: string;
  specialty: string | null;
  start: Date;
  end: Date;
  capacity: number;
  seat: number;
}

/**
 * Takes one seat of a slot, or returns null when it is full or cancelled. The UPDATE locks the
 * slot row, so concurrent bookers of the same slot queue here and the losers see it full;
 * the seat number then feeds the exclusion constraint, the guarantee of last resort.
 */
export async function claimSeat(m: EntityManager, slotId: string): Promise<ClaimedSeat | null> {
  const rows = await returning<{ shift_id: string; specialist_id: string; specialty: string | null; s: Date; e: Date; capacity: number }>(
    m,
    `UPDATE slot SET booked_count = booked_count + 1
      WHERE id = $1 AND status = 'open' AND booked_count < capacity
      RETURNING shift_id, specialist_id, specialty, lower(period) AS s, upper(period) AS e, capacity`,
    [slotId],
  );
  if (!rows.length) return null;
  const [free]: { seat: number }[] = await m.query(
    `SELECT s AS seat FROM generate_series(1, $2::int) s
      WHERE NOT EXISTS (SELECT 1 FROM booking b WHERE b.slot_id = $1 AND b.seat = s AND b.status = ANY($3))
      ORDER BY s LIMIT 1`,
    [slotId, rows[0].capacity, HOLDING_STATUSES],
  );
  const r = rows[0];
  return { slotId, shiftId: r.shift_id, specialistId: r.specialist_id, specialty: r.specialty, start: r.s, end: r.e, capacity: r.capacity, seat: free?.seat ?? r.capacity + 1 };
}

export async function releaseSeat(m: EntityManager, slotId: string): Promise<void> {
  await m.query('UPDATE slot SET booked_count = greatest(booked_count - 1, 0) WHERE id = $1', [slotId]);
}

export async function insertBooking(
  m: EntityManager,
  seat: ClaimedSeat,
  b: { consultationRequestId: string; organizationId: string; bookedBy: string; idempotencyKey: string | null; rescheduledFrom?: string | null; reason?: string | null },
): Promise<string> {
  const [row]: { id: string }[] = await m.query(
    `INSERT INTO booking (slot_id, shift_id, specialist_id, period, seat, capacity, consultation_request_id, requesting_organization_id, specialty, booked_by, idempotency_key, rescheduled_from, reason)
     VALUES ($1, $2, $3, tstzrange($4, $5, '[)'), $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
    [seat.slotId, seat.shiftId, seat.specialistId, seat.start, seat.end, seat.seat, seat.capacity, b.consultationRequestId, b.organizationId, seat.specialty, b.bookedBy, b.idempotencyKey, b.rescheduledFrom ?? null, b.reason ?? null],
  );
  return row.id;
}
