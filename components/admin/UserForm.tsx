"use client";
import { useMutation } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/trpc";
import type { RouterOutputs } from "../api-types";
import { MIN_PASSWORD_LENGTH } from "../auth/auth-errors";
import { describeError } from "../errors";
import { ROLES, type Role } from "../auth/roles";
import { Button } from "../ui/Button";
import { ErrorMessage } from "../ui/ErrorMessage";
import { checkboxClasses, Field, inputClasses, selectClasses } from "../ui/Field";
import { CustomerScopePicker, type CustomerOption } from "./CustomerScopePicker";

export type User = RouterOutputs["users"]["list"][number];

/** Create a user (with an initial password), or change a user's name, role and customers. */
export function UserForm({
  user,
  self = false,
  customers,
  onDone,
  onCancel,
}: {
  /** The user to edit; without it the form creates one. */
  user?: User;
  /** Editing yourself: your role cannot be taken away here. */
  self?: boolean;
  customers: readonly CustomerOption[] | undefined;
  /** Called after the change; the form stays busy until the returned promise settles. */
  onDone: (message: string) => Promise<void> | void;
  onCancel: () => void;
}) {
  const id = useId();
  const trpc = useTRPC();
  const editing = user !== undefined;
  const [name, setName] = useState(user?.name ?? "");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [showPassword, setShowPassword] = useState(false);
  const [role, setRole] = useState<Role>((user?.role as Role | undefined) ?? "viewer");
  const [allCustomers, setAllCustomers] = useState(user?.allCustomers ?? false);
  const [customerIds, setCustomerIds] = useState<string[]>(user?.customers.map((c) => c.customer.id) ?? []);
  const [problem, setProblem] = useState<string | null>(null);
  const [finishing, setFinishing] = useState(false);

  const create = useMutation(trpc.users.create.mutationOptions());
  const update = useMutation(trpc.users.update.mutationOptions());
  const busy = create.isPending || update.isPending || finishing;
  const error = create.error ?? update.error;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    create.reset();
    update.reset();
    if (!editing && password.length < MIN_PASSWORD_LENGTH) {
      setProblem(`The initial password needs at least ${MIN_PASSWORD_LENGTH} characters.`);
      return;
    }
    // Admins see everything whatever their scope: keep what is stored for them.
    const scope = role === "admin" ? {} : { allCustomers, customerIds: allCustomers ? [] : customerIds };
    let message: string;
    try {
      if (editing) {
        await update.mutateAsync({ id: user.id, name: name.trim(), role: self ? undefined : role, ...scope });
        message = `Saved the changes to ${name.trim() || user.email}.`;
      } else {
        await create.mutateAsync({
          name: name.trim(),
          email: email.trim(),
          password,
          role,
          allCustomers: role === "admin" ? true : allCustomers,
          customerIds: role === "admin" || allCustomers ? [] : customerIds,
        });
        message = `Created ${email.trim()} (${ROLES.find((r) => r.value === role)?.label}). Give them their initial password; they can change it on their Account page.`;
      }
    } catch {
      return; // Shown from the mutation's error below.
    }
    setFinishing(true);
    try {
      await onDone(message);
    } finally {
      setFinishing(false);
    }
  }

  return (
    <form onSubmit={submit} className="space-y-4">
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Name" htmlFor={`${id}-name`}>
          <input
            id={`${id}-name`}
            required
            maxLength={200}
            autoComplete="off"
            value={name}
            onChange={(event) => setName(event.target.value)}
            className={inputClasses}
          />
        </Field>
        {editing ? (
          <Field label="Email" htmlFor={`${id}-email`} hint="The email cannot be changed.">
            <input id={`${id}-email`} value={user.email} readOnly disabled className={inputClasses} />
          </Field>
        ) : (
          <Field label="Email" htmlFor={`${id}-email`} hint="They sign in with it.">
            <input
              id={`${id}-email`}
              type="email"
              required
              autoComplete="off"
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              className={inputClasses}
            />
          </Field>
        )}
        {!editing && (
          <Field
            label="Initial password"
            htmlFor={`${id}-password`}
            hintId={`${id}-password-hint`}
            hint={`At least ${MIN_PASSWORD_LENGTH} characters. Tell it to them; they can change it on their Account page.`}
          >
            <div className="flex items-center gap-2">
              <input
                id={`${id}-password`}
                type={showPassword ? "text" : "password"}
                required
                maxLength={256}
                autoComplete="new-password"
                aria-describedby={`${id}-password-hint`}
                value={password}
                onChange={(event) => setPassword(event.target.value)}
                className={inputClasses}
              />
              <label className="flex items-center gap-1.5 text-xs whitespace-nowrap text-slate-600 dark:text-slate-400">
                <input
                  type="checkbox"
                  className={checkboxClasses}
                  checked={showPassword}
                  onChange={(event) => setShowPassword(event.target.checked)}
                />
                Show
              </label>
            </div>
          </Field>
        )}
        <Field
          label="Role"
          htmlFor={`${id}-role`}
          hintId={`${id}-role-hint`}
          hint={
            self
              ? "You cannot take your own administrator role away."
              : ROLES.find((r) => r.value === role)?.description
          }
        >
          <select
            id={`${id}-role`}
            value={role}
            disabled={self}
            aria-describedby={`${id}-role-hint`}
            onChange={(event) => setRole(event.target.value as Role)}
            className={selectClasses}
          >
            {ROLES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </Field>
      </div>

      <CustomerScopePicker
        role={role}
        allCustomers={allCustomers}
        customerIds={customerIds}
        customers={customers}
        onChange={(scope) => {
          setAllCustomers(scope.allCustomers);
          setCustomerIds(scope.customerIds);
        }}
      />

      {(problem || error) && (
        <ErrorMessage
          title={editing ? "The changes were not saved" : "The user was not created"}
          error={problem ?? describeError(error)}
        />
      )}

      <div className="flex gap-2">
        <Button type="submit" variant="primary" busy={busy}>
          {editing ? "Save changes" : "Create user"}
        </Button>
        <Button onClick={onCancel} disabled={busy}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
