/** POST /api/imaging/arrivals/{arrival}/confirm: why a held study is the request's patient after all. */
export interface ConfirmArrivalInput {
  reason: string;
}

/** POST /api/imaging/arrivals/{arrival}/reject. */
export interface RejectArrivalInput {
  reason?: string;
}
