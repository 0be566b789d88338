"use client";
// A form posting to a server action, with its pending state and the action's error or notice
// shown inline (announced to screen readers). The fields are server-rendered children.
import { type ReactNode, useActionState } from "react";
import type { FormState } from "../app/actions";

export function ActionForm(props: {
  action: (previous: FormState, formData: FormData) => Promise<FormState>;
  submitLabel: string;
  pendingLabel?: string;
  className?: string;
  danger?: boolean;
  children: ReactNode;
}) {
  const [state, formAction, pending] = useActionState(props.action, { error: null });
  return (
    <form action={formAction} className={props.className} aria-busy={pending}>
      {props.children}
      <div className="form-actions">
        <button type="submit" disabled={pending} className={props.danger ? "danger" : undefined}>
          {pending ? (props.pendingLabel ?? "Working…") : props.submitLabel}
        </button>
      </div>
      <FormMessage state={state} />
    </form>
  );
}

export function FormMessage({ state }: { state: FormState }) {
  return (
    <>
      <p role="alert" className="error" hidden={!state.error}>
        {state.error}
      </p>
      <p role="status" className="notice" hidden={!state.notice}>
        {state.notice}
      </p>
    </>
  );
}
