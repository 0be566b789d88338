"use client";
// Deleting a store: the button is disabled, from the first paint, until the store id is typed (the
// server action checks it again). Without JavaScript a <noscript> button takes its place, and the
// server's check alone holds.
import { useActionState, useState } from "react";
import type { FormState } from "../app/actions";
import { FormMessage, useKeptForm } from "./action-form";

export function ConfirmDelete(props: {
  storeId: string;
  action: (previous: FormState, formData: FormData) => Promise<FormState>;
}) {
  const [typed, setTyped] = useState("");
  const [state, formAction, pending] = useActionState(props.action, { error: null });
  const kept = useKeptForm(formAction, state);
  return (
    <form action={formAction} className="stack" ref={kept.ref} onSubmit={kept.onSubmit}>
      <label htmlFor="confirm-delete">
        Type <code>{props.storeId}</code> to confirm
      </label>
      <input
        id="confirm-delete"
        name="confirm"
        autoComplete="off"
        spellCheck={false}
        value={typed}
        onChange={(event) => setTyped(event.target.value)}
      />
      <div className="form-actions">
        <button
          type="submit"
          className="danger needs-js"
          disabled={pending || typed !== props.storeId}
        >
          {pending ? "Deleting…" : "Delete this store"}
        </button>
        {/* Without JavaScript nothing can unlock the button above: this one replaces it. */}
        <noscript>
          <style>{".needs-js { display: none; }"}</style>
          <button type="submit" className="danger">
            Delete this store
          </button>
        </noscript>
      </div>
      <FormMessage state={state} />
    </form>
  );
}
