import { describeError } from "../errors";
import { Button } from "./Button";
import { cx } from "./cx";

/** An error in plain words, with an optional retry. */
export function ErrorMessage({
  error,
  title = "Something went wrong",
  onRetry,
  retrying = false,
  className,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
  retrying?: boolean;
  className?: string;
}) {
  return (
    <div role="alert" className={cx("rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm dark:border-red-900 dark:bg-red-950/50", className)}>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <p className="font-semibold text-red-800 dark:text-red-200">{title}</p>
          <p className="mt-0.5 break-words whitespace-pre-line text-red-700 dark:text-red-300">{describeError(error)}</p>
        </div>
        {onRetry && (
          <Button size="sm" onClick={onRetry} busy={retrying}>
            Try again
          </Button>
        )}
      </div>
    </div>
  );
}

/** A query that failed to load: its error in plain words, and a retry that refetches it. */
export function QueryError({
  query,
  title,
  className,
}: {
  query: { error: unknown; refetch: () => unknown; isFetching: boolean };
  title: string;
  className?: string;
}) {
  return (
    <ErrorMessage
      title={title}
      error={query.error}
      onRetry={() => void query.refetch()}
      retrying={query.isFetching}
      className={className}
    />
  );
}
