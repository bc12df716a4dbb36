// Which screen to show: the session decides between sign-in, the password change, and the pages.
import { ErrorBox } from './components/ErrorBox';
import { Loading } from './components/Loading';
import { Layout } from './Layout';
import { ChangePassword } from './pages/ChangePassword';
import { NotFound } from './pages/NotFound';
import { SignIn } from './pages/SignIn';
import { ROUTES } from './routes';
import { matchRoute, useLocation } from './router/router';
import { useSession } from './session/session';

function Page() {
  const { path } = useLocation();
  for (const route of ROUTES) {
    const params = matchRoute(route.path, path);
    if (params !== undefined) {
      const Component = route.component;
      return (
        <Layout title={route.title}>
          <Component params={params} key={path} />
        </Layout>
      );
    }
  }
  return (
    <Layout title="Page not found">
      <NotFound />
    </Layout>
  );
}

export function App() {
  const { state, refresh } = useSession();
  switch (state.status) {
    case 'loading':
      return (
        <main className="signin" id="main">
          <Loading label="Checking your session…" />
        </main>
      );
    case 'unreachable':
      return (
        <main className="signin" id="main">
          <ErrorBox error={state.error} onRetry={() => void refresh()} />
        </main>
      );
    case 'signed-out':
      return <SignIn notice={state.notice} />;
    case 'signed-in':
      return state.session.PasswordResetRequired ? <ChangePassword /> : <Page />;
  }
}
