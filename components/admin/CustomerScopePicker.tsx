"use client";
import { useId, useState } from "react";
import { Button } from "../ui/Button";
import { checkboxClasses, inputClasses } from "../ui/Field";

export interface CustomerOption {
  id: string;
  name: string;
  isDemo?: boolean;
}

/**
 * Which customers a user sees: all of them (also those added later), or the ones ticked here.
 * Administrators always see all customers, so for them there is nothing to choose.
 */
export function CustomerScopePicker({
  role,
  allCustomers,
  customerIds,
  customers,
  onChange,
}: {
  role: string;
  allCustomers: boolean;
  customerIds: readonly string[];
  customers: readonly CustomerOption[] | undefined;
  onChange: (scope: { allCustomers: boolean; customerIds: string[] }) => void;
}) {
  const id = useId();
  const [filter, setFilter] = useState("");

  if (role === "admin") {
    return (
      <fieldset>
        <legend className="mb-1 block text-xs font-medium text-slate-700 dark:text-slate-300">Customers</legend>
        <p className="text-sm text-slate-600 dark:text-slate-400">Administrators see all customers.</p>
      </fieldset>
    );
  }

  const selected = new Set(customerIds);
  const shown = (customers ?? []).filter((c) => c.name.toLowerCase().includes(filter.trim().toLowerCase()));
  const setSelected = (next: Set<string>) => onChange({ allCustomers, customerIds: [...next] });

  return (
    <fieldset>
      <legend className="mb-1 block text-xs font-medium text-slate-700 dark:text-slate-300">Customers</legend>
      <label className="flex items-center gap-2 text-sm text-slate-800 dark:text-slate-200">
        <input
          type="checkbox"
          className={checkboxClasses}
          checked={allCustomers}
          onChange={(event) => onChange({ allCustomers: event.target.checked, customerIds: [...customerIds] })}
        />
        Sees all customers, including customers added later
      </label>
      {!allCustomers && (
        <div className="mt-2 rounded-md border border-slate-200 dark:border-slate-700 p-2">
          {customers === undefined ? (
            <p className="text-sm text-slate-500 dark:text-slate-400">Loading customers…</p>
          ) : customers.length === 0 ? (
            <p className="text-sm text-slate-500 dark:text-slate-400">There are no customers yet: add a source to create one.</p>
          ) : (
            <>
              <div className="mb-2 flex flex-wrap items-center gap-2">
                {customers.length > 8 && (
                  <>
                    <label htmlFor={`${id}-filter`} className="sr-only">
                      Filter customers
                    </label>
                    <input
                      id={`${id}-filter`}
                      type="search"
                      placeholder="Filter customers"
                      value={filter}
                      onChange={(event) => setFilter(event.target.value)}
                      className={`${inputClasses} max-w-56`}
                    />
                  </>
                )}
                <Button size="sm" variant="ghost" onClick={() => setSelected(new Set([...selected, ...shown.map((c) => c.id)]))}>
                  Select {filter ? "shown" : "all"}
                </Button>
                <Button
                  size="sm"
                  variant="ghost"
                  onClick={() => {
                    const next = new Set(selected);
                    for (const c of shown) next.delete(c.id);
                    setSelected(next);
                  }}
                >
                  Clear {filter ? "shown" : "all"}
                </Button>
                <span className="ml-auto text-xs text-slate-500 dark:text-slate-400" aria-live="polite">
                  {selected.size} of {customers.length} selected
                </span>
              </div>
              <ul className="max-h-48 space-y-1 overflow-y-auto pr-1">
                {shown.map((customer) => (
                  <li key={customer.id}>
                    <label className="flex items-center gap-2 rounded px-1 py-0.5 text-sm text-slate-800 dark:text-slate-200 hover:bg-slate-50 dark:hover:bg-slate-800">
                      <input
                        type="checkbox"
                        className={checkboxClasses}
                        checked={selected.has(customer.id)}
                        onChange={(event) => {
                          const next = new Set(selected);
                          if (event.target.checked) next.add(customer.id);
                          else next.delete(customer.id);
                          setSelected(next);
                        }}
                      />
                      {customer.name}
                      {customer.isDemo && <span className="text-xs text-slate-500 dark:text-slate-400">(demo)</span>}
                    </label>
                  </li>
                ))}
                {shown.length === 0 && <li className="text-sm text-slate-500 dark:text-slate-400">No customer matches “{filter}”.</li>}
              </ul>
            </>
          )}
          {customers !== undefined && customers.length > 0 && selected.size === 0 && (
            <p className="mt-2 text-xs text-amber-800 dark:text-amber-200">With no customer ticked, this user sees no inventory at all.</p>
          )}
        </div>
      )}
    </fieldset>
  );
}
