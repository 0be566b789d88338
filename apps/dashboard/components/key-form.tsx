"use client";
// Creating an API key: the new key comes back in the action's answer, is shown here once with a
// copy button, and is gone on the next visit (the vault keeps only its hash).
import { type ReactNode, useActionState } from "react";
import type { KeyFormState } from "../app/actions";
import { FormMessage } from "./action-form";
import { CopyButton } from "./copy-button";

export function KeyForm(props: {
  action: (previous: KeyFormState, formData: FormData) => Promise<KeyFormState>;
  children: ReactNode;
}) {
  const [state, formAction, pending] = useActionState(props.action, { error: null });
  const created = state.created;
  return (
    <>
      {created && (
        <section className="one-time" aria-labelledby="new-key-title">
          <h2 id="new-key-title">New API key: {created.key.name || created.key.prefix}</h2>
          <p className="warning">
            <strong>Copy it now: this is the only time it is shown.</strong> The vault keeps only a
            hash of it. If it is lost, create another key and revoke this one.
          </p>
          <div className="secret-row">
            <code id="new-api-key" className="secret">
              {created.apiKey}
            </code>
            <CopyButton value={created.apiKey} label="Copy the new API key" />
          </div>
        </section>
      )}
      <form action={formAction} className="card stack" aria-busy={pending}>
        {props.children}
        <div className="form-actions">
          <button type="submit" disabled={pending}>
            {pending ? "Creating…" : "Create key"}
          </button>
        </div>
        <FormMessage state={state} />
      </form>
    </>
  );
}
