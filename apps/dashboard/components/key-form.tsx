"use client";
// Creating an API key: the new key comes back in the action's answer, is shown here once with a
// copy button, and is gone on the next visit (the vault keeps only its hash).
import { type ReactNode, useActionState, useEffect } from "react";
import type { KeyFormState } from "../app/actions";
import { FormMessage, useKeptForm } from "./action-form";
import { CopyButton } from "./copy-button";

/** Ticking a store selects "only the selected stores"; "all stores" clears the ticks. */
function syncScope(input: EventTarget | null) {
  if (!(input instanceof HTMLInputElement)) return;
  const form = input.form;
  if (!form) return;
  if (input.name === "storeIds" && input.checked) {
    const selected = form.querySelector<HTMLInputElement>('input[name="scope"][value="selected"]');
    if (selected) selected.checked = true;
  } else if (input.name === "scope" && input.value === "all" && input.checked) {
    for (const box of form.querySelectorAll<HTMLInputElement>('input[name="storeIds"]')) {
      box.checked = false;
    }
  }
}

export function KeyForm(props: {
  action: (previous: KeyFormState, formData: FormData) => Promise<KeyFormState>;
  children: ReactNode;
}) {
  const [state, formAction, pending] = useActionState(props.action, { error: null });
  const created = state.created;
  const { ref: formRef, onSubmit } = useKeptForm(formAction, state);
  // A native listener: React's onChange misses a radio turned back on after a script turned it off.
  useEffect(() => {
    const form = formRef.current;
    const onChange = (event: Event) => syncScope(event.target);
    form?.addEventListener("change", onChange);
    return () => form?.removeEventListener("change", onChange);
  }, [formRef]);
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
      <form
        action={formAction}
        className="card stack"
        aria-busy={pending}
        ref={formRef}
        onSubmit={onSubmit}
      >
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
