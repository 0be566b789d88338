"use client";
// Deleting a store: the button stays disabled until the store id is typed (the server action
// checks it again). Without JavaScript the button is enabled and the server's check alone holds.
import { useActionState, useEffect, useState } from "react";
import type { FormState } from "../app/actions";
import { FormMessage } from "./action-form";

export function ConfirmDelete(props: {
  storeId: string;
  action: (previous: FormState, formData: FormData) => Promise<FormState>;
}) {
  const [typed, setTyped] = useState("");
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  const [state, formAction, pending] = useActionState(props.action, { error: null });
  return (
    <form action={formAction} className="stack">
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
          className="danger"
          disabled={pending || (hydrated && typed !== props.storeId)}
        >
          {pending ? "Deleting…" : "Delete this store"}
        </button>
      </div>
      <FormMessage state={state} />
    </form>
  );
}
