// Requests as React state: every page shows loading and error states from these two hooks.
import { useEffect, useEffectEvent, useState } from 'react';
import { asApiError } from './errors';
import type { ApiError } from './errors';

export type RequestState<T> =
  | { readonly status: 'loading'; readonly data?: T }
  | { readonly status: 'error'; readonly error: ApiError; readonly data?: T }
  | { readonly status: 'done'; readonly data: T };

interface Settled<T> {
  readonly for: string;
  readonly data?: T;
  readonly error?: ApiError;
}

/**
 * Runs `load` now and whenever `key` changes; `reload` runs it again. While a request runs, the last answer
 * stays on screen (status 'loading' with data); an answer that arrives after a newer request started is dropped.
 */
export function useRequest<T>(
  load: () => Promise<T>,
  key: string,
): RequestState<T> & { readonly reload: () => void } {
  const [attempt, setAttempt] = useState(0);
  const [settled, setSettled] = useState<Settled<T> | undefined>();
  const wanted = `${attempt}:${key}`;
  const start = useEffectEvent(load);

  useEffect(() => {
    let current = true;
    start().then(
      (data) => {
        if (current) setSettled({ for: wanted, data });
      },
      (error: unknown) => {
        if (current) setSettled({ for: wanted, error: asApiError(error) });
      },
    );
    return () => {
      current = false;
    };
  }, [wanted]);

  const reload = () => {
    setAttempt((n) => n + 1);
  };
  const data = settled?.data;
  if (settled?.for !== wanted) return { status: 'loading', ...(data === undefined ? {} : { data }), reload };
  if (settled.error !== undefined) return { status: 'error', error: settled.error, reload };
  return { status: 'done', data: settled.data as T, reload };
}

export interface ActionState<A extends unknown[], T> {
  readonly run: (...args: A) => Promise<T | undefined>;
  readonly pending: boolean;
  readonly error: ApiError | undefined;
  readonly clearError: () => void;
}

/** A change the user starts (create, delete, ...): its pending flag and error; resolves undefined on failure. */
export function useAction<A extends unknown[], T>(act: (...args: A) => Promise<T>): ActionState<A, T> {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const run = async (...args: A) => {
    setPending(true);
    setError(undefined);
    try {
      return await act(...args);
    } catch (caught) {
      setError(asApiError(caught));
      return undefined;
    } finally {
      setPending(false);
    }
  };
  const clearError = () => {
    setError(undefined);
  };
  return { run, pending, error, clearError };
}
