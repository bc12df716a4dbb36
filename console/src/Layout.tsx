// The signed-in frame: a skip link, the header with who is signed in and sign-out, the navigation to every
// page (a menu button on narrow screens), and the page itself.
import { useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { ROUTES, type PageRoute } from './routes';
import { Link, matchRoute, useLocation } from './router/router';
import { useSession, useSignedIn } from './session/session';

export function Layout({ title, children }: { title: string; children: ReactNode }) {
  const { signOut } = useSession();
  const session = useSignedIn();
  const { path } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const main = useRef<HTMLElement>(null);
  const principal = session.Principal;

  useEffect(() => {
    document.title = `${title} · Ramkey console`;
  }, [title]);

  const under = (prefix: string) => prefix !== '/' && path.startsWith(`${prefix}/`);
  const current = (route: PageRoute) =>
    matchRoute(route.path, path) !== undefined || under(route.path) || (route.navAlso ?? []).some(under);

  return (
    <div className="app">
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          main.current?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Ramkey
        </Link>
        <button
          type="button"
          className="menu-button secondary"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => {
            setMenuOpen((open) => !open);
          }}
        >
          Menu
        </button>
        <div className="who">
          <span className="who-name" title={principal.Arn}>
            {principal.LoginName}
          </span>
          <span className="badge">{principal.Type === 'root-account' ? 'Account' : 'RAM user'}</span>
          <button
            type="button"
            className="secondary"
            disabled={signingOut}
            onClick={() => {
              setSigningOut(true);
              void signOut();
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <div className="frame">
        <nav id="main-nav" className={menuOpen ? 'nav open' : 'nav'} aria-label="Console">
          <ul>
            {ROUTES.filter((route) => route.nav !== undefined).map((route) => (
              <li key={route.path}>
                <Link
                  to={route.path}
                  aria-current={current(route) ? 'page' : undefined}
                  onClick={() => {
                    setMenuOpen(false);
                  }}
                >
                  {route.nav}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" ref={main} tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
