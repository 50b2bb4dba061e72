/** POST /api/auth/login. */
export interface Credentials {
  username: string;
  password: string;
}

/** POST /api/auth/refresh: a refresh token is used once and replaced. */
export interface RefreshInput {
  refreshToken: string;
}

/** POST /api/auth/logout: the refresh token to end with the access token. */
export type LogoutInput = Partial<RefreshInput>;
