import { api } from './client';
import type { Profile } from './types';

export const authApi = {
  login: (username: string, password: string) => api.login(username, password),
  logout: () => api.logout(),
  me: () => api.get<Profile>('/api/me'),
};
