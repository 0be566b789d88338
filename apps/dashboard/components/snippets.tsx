// Ready-to-paste code for a store, per framework, each with a copy button.
import { snippets } from "../lib/snippets";
import { CopyButton } from "./copy-button";

export function Snippets({ store }: { store: string }) {
  return (
    <div className="snippets">
      <p className="muted">
        Each app needs <code>COFFER_URL</code>, <code>COFFER_API_KEY</code> (an API key with this
        store in its scope) and <code>COFFER_SECRET</code>: <code>pnpm coffer init</code> writes
        them to <code>.env.local</code>.
      </p>
      {snippets(store).map((snippet) => (
        <section key={snippet.id} className="snippet" aria-labelledby={`snippet-${snippet.id}`}>
          <div className="snippet-head">
            <h3 id={`snippet-${snippet.id}`}>{snippet.title}</h3>
            <CopyButton value={snippet.code} label={`Copy the ${snippet.title} code`} />
          </div>
          <pre>
            <code>{`$ ${snippet.install}`}</code>
          </pre>
          <pre>
            <code>{snippet.code}</code>
          </pre>
        </section>
      ))}
    </div>
  );
}
