// Renders a useRequest state: the loading indicator, the error box with a retry, or the content.
import type { ReactNode } from 'react';
import type { RequestState } from '../api/hooks';
import { ErrorBox } from './ErrorBox';
import { Loading } from './Loading';

export function RequestView<T>({
  request,
  label,
  children,
}: {
  request: RequestState<T> & { reload: () => void };
  label?: string;
  children: (data: T) => ReactNode;
}) {
  if (request.status === 'error') return <ErrorBox error={request.error} onRetry={request.reload} />;
  if (request.data === undefined) return <Loading {...(label === undefined ? {} : { label })} />;
  return (
    <>
      {request.status === 'loading' && <Loading label="Refreshing…" />}
      {children(request.data)}
    </>
  );
}
