import { Button } from "../ui/Button";
import { EmptyState } from "../ui/EmptyState";

/** The empty state of an inventory table: nothing collected, or nothing matching the filters. */
export function TableEmpty({ what, filtered, onClear }: { what: string; filtered: boolean; onClear: () => void }) {
  if (filtered) {
    return (
      <EmptyState
        title={`No ${what} match the search and filters`}
        action={
          <Button size="sm" onClick={onClear}>
            Clear search and filters
          </Button>
        }
      />
    );
  }
  return (
    <EmptyState title={`No ${what} collected`}>
      This customer&rsquo;s sources have not reported any {what} yet.
    </EmptyState>
  );
}
