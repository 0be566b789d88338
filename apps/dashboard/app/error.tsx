"use client";
import { useRouter } from "next/navigation";
import { startTransition } from "react";

// Any failure of a page (the vault down, an unexpected answer). Next sends no server error
// details to the browser in production, only a digest that matches the server log.

export default function ErrorPage({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  const router = useRouter();
  // reset() alone re-renders the same failed server payload: refetch it first.
  const retry = () =>
    startTransition(() => {
      router.refresh();
      reset();
    });
  return (
    <main id="main" className="signin">
      <h1>Something went wrong</h1>
      <p role="alert" className="error">
        The dashboard could not load this page. The vault may be unreachable
        {error.digest ? ` (reference ${error.digest})` : ""}.
      </p>
      <p className="form-actions">
        <button type="button" onClick={retry}>
          Try again
        </button>
        <a href="/projects" className="button secondary">
          Projects
        </a>
      </p>
    </main>
  );
}
