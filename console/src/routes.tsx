// Every page of the console: its address, its entry in the navigation, and what renders it. A page is a
// component taking its route's named parts (`:name` in the path) as props.
import type { ComponentType } from 'react';
import { Alerts } from './pages/Alerts';
import { RotateKey } from './pages/alerts/RotateKey';
import { AuditTrail } from './pages/AuditTrail';
import { GroupDetail } from './pages/groups/GroupDetail';
import { PolicyDetail } from './pages/groups/PolicyDetail';
import { GroupsPolicies } from './pages/GroupsPolicies';
import { KeyDetail } from './pages/KeyDetail';
import { NetworkPolicies } from './pages/NetworkPolicies';
import { Overview } from './pages/Overview';
import { RecycleBin } from './pages/RecycleBin';
import { UserDetail } from './pages/UserDetail';
import { Users } from './pages/Users';

export interface PageRoute {
  /** Pattern under /console, e.g. `/users/:name`. */
  readonly path: string;
  readonly title: string;
  /** Shown in the navigation when set (detail pages are reached from their lists). */
  readonly nav?: string;
  /** Other addresses whose pages belong to this entry of the navigation (its detail pages). */
  readonly navAlso?: readonly string[];
  readonly component: ComponentType<{ params: Record<string, string> }>;
}

export const ROUTES: readonly PageRoute[] = [
  { path: '/', title: 'Overview', nav: 'Overview', component: Overview },
  { path: '/users', title: 'Users', nav: 'Users', component: Users },
  { path: '/users/:name', title: 'User', component: UserDetail },
  { path: '/keys/:keyId', title: 'AccessKey', component: KeyDetail },
  { path: '/recycle-bin', title: 'Recycle bin', nav: 'Recycle bin', component: RecycleBin },
  {
    path: '/network-policies',
    title: 'Network access policies',
    nav: 'Network policies',
    component: NetworkPolicies,
  },
  { path: '/audit', title: 'Audit trail', nav: 'Audit trail', component: AuditTrail },
  {
    path: '/groups-policies',
    title: 'Groups and policies',
    nav: 'Groups and policies',
    navAlso: ['/groups', '/policies'],
    component: GroupsPolicies,
  },
  { path: '/groups/:name', title: 'Group', component: GroupDetail },
  { path: '/policies/:type/:name', title: 'Policy', component: PolicyDetail },
  { path: '/alerts', title: 'Alerts and leak response', nav: 'Alerts', component: Alerts },
  { path: '/alerts/rotate/:keyId', title: 'Rotate a key', component: RotateKey },
];
