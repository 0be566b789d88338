// Ready-to-paste code for a store, per framework, each with a copy button.
import { CopyButton } from "./copy-button";

function snippets(store: string) {
  const s = JSON.stringify(store);
  return [
    {
      id: "nextjs",
      title: "Next.js (App Router)",
      install: "pnpm add @coffer/nextjs",
      code: `// app/actions.ts
"use server";
import { getDataVaultStore } from "@coffer/nextjs";

export async function saveSecret(userId: string, value: string) {
  const store = await getDataVaultStore(${s});
  await store.setValue(\`user:\${userId}\`, value); // getValue(key) reads it back
}`,
    },
    {
      id: "express",
      title: "Express",
      install: "pnpm add @coffer/express",
      code: `import express from "express";
import { cofferErrorHandler, cofferMiddleware } from "@coffer/express";
import type {} from "@coffer/express/env"; // types req.vault

const app = express();
app.use(express.json());
app.use(cofferMiddleware()); // reads COFFER_URL, COFFER_API_KEY, COFFER_SECRET once
app.put("/me/secret", async (req, res) => {
  const store = await req.vault.getDataVaultStore(${s});
  await store.setValue(\`user:\${req.user.id}\`, req.body.value);
  res.status(204).end();
});
app.use(cofferErrorHandler()); // after your routes`,
    },
    {
      id: "nestjs",
      title: "NestJS",
      install: "pnpm add @coffer/nestjs",
      code: `import { Injectable, Module } from "@nestjs/common";
import { CofferModule, type DataVaultStore, InjectDataVaultStore } from "@coffer/nestjs";

@Injectable()
export class Secrets {
  constructor(@InjectDataVaultStore(${s}) private readonly store: DataVaultStore) {}
  save(userId: string, value: string) {
    return this.store.setValue(\`user:\${userId}\`, value);
  }
}

@Module({
  imports: [CofferModule.forRoot({ isGlobal: true }), CofferModule.forFeature([${s}])],
  providers: [Secrets],
})
export class AppModule {}`,
    },
  ];
}

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
