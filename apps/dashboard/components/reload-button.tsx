"use client";

/** Reloads the page (the browser's own reload does the same without JavaScript). */
export function ReloadButton() {
  return (
    <button type="button" onClick={() => window.location.reload()}>
      Try again
    </button>
  );
}
