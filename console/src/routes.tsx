// Every page of the console: its address, its entry in the navigation, and what renders it. A page is a
// component taking its route's named parts (`:name` in the path) as props.
import type { ComponentType } from 'react';
import { KeyDetail } from './pages/KeyDetail';
import { Overview } from './pages/Overview';
import { Placeholder } from './pages/Placeholder';
import { RecycleBin } from './pages/RecycleBin';
import { UserDetail } from './pages/UserDetail';
import { Users } from './pages/Users';

export interface PageRoute {
  /** Pattern under /console, e.g. `/users/:name`. */
  readonly path: string;
  readonly title: string;
  /** Shown in the navigation when set (detail pages are reached from their lists). */
  readonly nav?: string;
  readonly component: ComponentType<{ params: Record<string, string> }>;
}

function coming(title: string): ComponentType<{ params: Record<string, string> }> {
  return function Coming() {
    return <Placeholder title={title} />;
  };
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
    component: coming('Network access policies'),
  },
  { path: '/audit', title: 'Audit trail', nav: 'Audit trail', component: coming('Audit trail') },
  {
    path: '/groups-policies',
    title: 'Groups and policies',
    nav: 'Groups and policies',
    component: coming('Groups and policies'),
  },
  {
    path: '/alerts',
    title: 'Alerts and leak response',
    nav: 'Alerts',
    component: coming('Alerts and leak response'),
  },
];
