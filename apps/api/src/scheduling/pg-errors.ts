/** PostgreSQL error facts the scheduling feature turns into 409s. */
export const EXCLUSION_VIOLATION = '23P01';
export const UNIQUE_VIOLATION = '23505';

export function pgCode(e: unknown): string | undefined {
  return (
    (e as { code?: string; driverError?: { code?: string } })?.code ??
    (e as { driverError?: { code?: string } })?.driverError?.code
  );
}

export function pgConstraint(e: unknown): string | undefined {
  return (
    (e as { constraint?: string })?.constraint ??
    (e as { driverError?: { constraint?: string } })?.driverError?.constraint
  );
}
