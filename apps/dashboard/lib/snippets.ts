// The ready-to-paste code of a store page, per framework. Kept apart from the component so that a
// test can typecheck each snippet against the real adapters (lib/snippets.test.ts).

export interface Snippet {
  id: "nextjs" | "express" | "nestjs";
  title: string;
  install: string;
  code: string;
}

/** The code that uses store `store`, for Next.js, Express and NestJS. */
export function snippets(store: string): Snippet[] {
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
  const userId: string = res.locals.userId; // set by your auth middleware
  const store = await req.vault.getDataVaultStore(${s});
  await store.setValue(\`user:\${userId}\`, req.body.value);
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
