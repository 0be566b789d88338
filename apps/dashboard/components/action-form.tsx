"use client";
// A form posting to a server action, with its pending state and the action's error or notice
// shown inline (announced to screen readers). The fields are server-rendered children.
import {
  type FormEvent,
  type ReactNode,
  startTransition,
  useActionState,
  useEffect,
  useRef,
} from "react";
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
  const kept = useKeptForm(formAction, state);
  return (
    <form
      action={formAction}
      className={props.className}
      aria-busy={pending}
      ref={kept.ref}
      onSubmit={kept.onSubmit}
    >
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

/**
 * Submits a form to its action without React's reset of the form, which would also empty it after
 * a refusal: what was typed stays to be corrected, and the form is reset after a success only.
 * Without JavaScript the form posts as usual.
 */
export function useKeptForm<S extends FormState>(formAction: (data: FormData) => void, state: S) {
  const ref = useRef<HTMLFormElement>(null);
  const first = useRef(state);
  useEffect(() => {
    if (state !== first.current && state.error === null) ref.current?.reset();
  }, [state]);
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    startTransition(() => formAction(data));
  };
  return { ref, onSubmit };
}
