import type { Role } from '../api/types';
import type { MessageKey } from '../i18n/messages';

export interface NavItem {
  path: string;
  label: MessageKey;
  roles: Role[];
}

/** What each role works with; a practitioner with several roles sees the union, in this order. */
export const NAV_ITEMS: NavItem[] = [
  { path: '/patients', label: 'nav.patients', roles: ['township_doctor'] },
  { path: '/consultations', label: 'nav.consultations', roles: ['township_doctor'] },
  { path: '/bookings', label: 'nav.bookings', roles: ['township_doctor'] },
  { path: '/worklist', label: 'nav.worklist', roles: ['specialist'] },
  { path: '/referrals', label: 'nav.referrals', roles: ['township_doctor', 'specialist'] },
  { path: '/rotations', label: 'nav.rotations', roles: ['hub_coordinator'] },
  { path: '/dashboard', label: 'nav.dashboard', roles: ['hub_coordinator'] },
  { path: '/admin/organizations', label: 'nav.organizations', roles: ['admin'] },
  { path: '/admin/consortia', label: 'nav.consortia', roles: ['admin'] },
  { path: '/admin/users', label: 'nav.users', roles: ['admin'] },
  { path: '/admin/service-accounts', label: 'nav.serviceAccounts', roles: ['admin'] },
  { path: '/admin/dicom-peers', label: 'nav.dicomPeers', roles: ['admin'] },
  { path: '/admin/routing', label: 'nav.routing', roles: ['admin'] },
];

export function navigationFor(roles: readonly Role[]): NavItem[] {
  return NAV_ITEMS.filter((item) => item.roles.some((r) => roles.includes(r)));
}

export function mayOpen(path: string, roles: readonly Role[]): boolean {
  const item = NAV_ITEMS.find((i) => path === i.path || path.startsWith(`${i.path}/`));
  return !item || item.roles.some((r) => roles.includes(r));
}
