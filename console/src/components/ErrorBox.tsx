// An API error as the API gave it: its Code and Message, the recommendation, and for denials which policy decided.
import type { ApiError } from '../api/errors';

export function ErrorBox({
  error,
  onRetry,
  onDismiss,
}: {
  error: ApiError;
  onRetry?: () => void;
  onDismiss?: () => void;
}) {
  const detail = error.accessDeniedDetail;
  return (
    <div className="error-box" role="alert">
      <p className="error-code">
        <code>{error.code}</code>
        {error.httpStatus > 0 && <span className="muted"> (HTTP {error.httpStatus})</span>}
      </p>
      <p className="error-message">{error.message}</p>
      {error.recommend !== undefined && error.recommend !== '' && (
        <p className="muted">Recommendation: {error.recommend}</p>
      )}
      {detail !== undefined && (
        <dl className="denied-detail">
          {Object.entries(detail)
            .filter(([, value]) => typeof value === 'string' || typeof value === 'number')
            .map(([name, value]) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd>{String(value)}</dd>
              </div>
            ))}
        </dl>
      )}
      {error.requestId !== undefined && <p className="muted small">Request ID: {error.requestId}</p>}
      {(onRetry !== undefined || onDismiss !== undefined) && (
        <div className="actions">
          {onRetry !== undefined && (
            <button type="button" onClick={onRetry}>
              Try again
            </button>
          )}
          {onDismiss !== undefined && (
            <button type="button" className="secondary" onClick={onDismiss}>
              Dismiss
            </button>
          )}
        </div>
      )}
    </div>
  );
}
