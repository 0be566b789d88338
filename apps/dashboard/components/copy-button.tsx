"use client";
import { useState } from "react";

/** Copies `value` with navigator.clipboard; says so, for sighted and screen-reader users. */
export function CopyButton({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState<"no" | "yes" | "failed">("no");
  return (
    <>
      <button
        type="button"
        aria-label={label}
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(value);
            setCopied("yes");
          } catch {
            setCopied("failed");
          }
        }}
      >
        {copied === "yes" ? "Copied" : "Copy"}
      </button>
      <span role="status" className="visually-hidden">
        {copied === "yes"
          ? "Copied to the clipboard"
          : copied === "failed"
            ? "Copy failed: select the text and copy it"
            : ""}
      </span>
    </>
  );
}
