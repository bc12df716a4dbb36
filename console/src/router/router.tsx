// A small router over the History API: the console has a dozen flat routes, which a pattern list and
// `popstate` cover; a routing library would add more than it saves. Paths are kept relative to BASE.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { AnchorHTMLAttributes, MouseEvent, ReactNode } from 'react';

export const BASE = '/console';

/** The route part of the address bar: `/users/alice?tab=keys` for `/console/users/alice?tab=keys`. */
function currentRoute(): string {
  const { pathname, search } = window.location;
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  return (rest === '' ? '/' : rest) + search;
}

export function href(route: string): string {
  return route === '/' ? `${BASE}/` : BASE + route;
}

interface RouterState {
  readonly route: string;
  readonly navigate: (route: string, options?: { replace?: boolean }) => void;
}

const RouterContext = createContext<RouterState | undefined>(undefined);

export function RouterProvider({ children }: { children: ReactNode }) {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onPop = () => {
      setRoute(currentRoute());
    };
    window.addEventListener('popstate', onPop);
    return () => {
      window.removeEventListener('popstate', onPop);
    };
  }, []);
  const navigate = useCallback((to: string, options?: { replace?: boolean }) => {
    if (options?.replace === true) window.history.replaceState(null, '', href(to));
    else window.history.pushState(null, '', href(to));
    setRoute(currentRoute());
    window.scrollTo(0, 0);
  }, []);
  const value = useMemo(() => ({ route, navigate }), [route, navigate]);
  return <RouterContext.Provider value={value}>{children}</RouterContext.Provider>;
}

export function useRouter(): RouterState {
  const state = useContext(RouterContext);
  if (state === undefined) throw new Error('useRouter outside RouterProvider');
  return state;
}

/** The route's path (no query), and its query parameters. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const { route } = useRouter();
  const [path = '/', search = ''] = route.split('?', 2);
  return useMemo(() => ({ path, query: new URLSearchParams(search) }), [path, search]);
}

/**
 * Matches `path` against a pattern such as `/users/:name/keys/:keyId`; the named parts come back decoded.
 * Returns undefined when it does not match.
 */
export function matchRoute(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const actual = have[i] ?? '';
    if (part.startsWith(':')) {
      try {
        params[part.slice(1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (part !== actual) return undefined;
  }
  return params;
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string };

/** An ordinary link (opens in a new tab with the usual keys), routed in place on a plain click. */
export function Link({ to, onClick, children, ...rest }: LinkProps) {
  const { navigate } = useRouter();
  const onLinkClick = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={href(to)} onClick={onLinkClick} {...rest}>
      {children}
    </a>
  );
}

/** A route segment for a name or ID: encoded so that any user name survives the round trip. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
