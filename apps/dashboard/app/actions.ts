"use server";
// Server actions: they run on the server only; the browser gets a reference to call them by. Each
// one opens the session itself: an action is a public endpoint, whatever page showed its form.
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { AdminApiError, type ApiKey, adminApi, vaultUrl } from "../lib/admin-api";
import { ID_PATTERN, idProblem, KEY_ID_PATTERN } from "../lib/format";
import { endSession, requireToken, startSession } from "../lib/session";

export interface FormState {
  error: string | null;
  notice?: string;
}
export interface KeyFormState extends FormState {
  /** The new key, shown once: it is in this action's answer and nowhere else. */
  created?: { apiKey: string; key: ApiKey };
}

// An action is a public endpoint: a crafted call may pass anything for any argument. What is not a
// form reads as an empty one, and a field that is not text (a file) as empty, so such a call gets
// the usual validation message instead of a crash.
const form = (formData: unknown): FormData =>
  formData instanceof FormData ? formData : new FormData();
const text = (formData: unknown, name: string) => {
  const value = form(formData).get(name);
  return typeof value === "string" ? value.trim() : "";
};
const isId = (value: unknown): value is string =>
  typeof value === "string" && ID_PATTERN.test(value);

/** What an operator should read for an error of the vault. */
function problem(error: unknown): FormState {
  if (!(error instanceof AdminApiError)) throw error;
  if (error.code === "UNAUTHORIZED") {
    return { error: "The vault refused the admin token of this session: sign out and in again." };
  }
  return { error: `${error.message} (${error.code})` };
}

function checkProject(project: unknown): asserts project is string {
  if (!isId(project)) redirect("/projects");
}

export async function signIn(_previous: FormState, formData: FormData): Promise<FormState> {
  const token = text(formData, "token");
  if (token === "") return { error: "Enter the admin token." };
  if (!/^coffer_admin_[A-Za-z0-9_-]+$/.test(token) || token.length > 200) {
    return { error: "That is not an admin token: they start with coffer_admin_." };
  }
  try {
    await adminApi(token).listProjects();
  } catch (error) {
    if (error instanceof AdminApiError && error.code === "UNAUTHORIZED") {
      return { error: "The vault refused this admin token. Check it and try again." };
    }
    if (error instanceof AdminApiError && error.code === "NETWORK_ERROR") {
      return { error: `The vault at ${vaultUrl()} did not answer. Is it running?` };
    }
    return problem(error);
  }
  await startSession(token);
  redirect("/projects");
}

export async function signOut(): Promise<void> {
  await endSession();
  redirect("/");
}

export async function createProject(_previous: FormState, formData: FormData): Promise<FormState> {
  const token = await requireToken();
  const id = text(formData, "id");
  const name = text(formData, "name");
  const invalid = idProblem(id, "project");
  if (invalid) return { error: invalid };
  try {
    await adminApi(token).createProject(id, name || undefined);
  } catch (error) {
    return problem(error);
  }
  redirect(`/projects/${id}/stores`);
}

export async function createStore(
  project: string,
  _previous: FormState,
  formData: FormData,
): Promise<FormState> {
  const token = await requireToken();
  checkProject(project);
  const id = text(formData, "id");
  const name = text(formData, "name");
  const invalid = idProblem(id, "store");
  if (invalid) return { error: invalid };
  try {
    await adminApi(token).createStore(project, id, name || undefined);
  } catch (error) {
    return problem(error);
  }
  revalidatePath(`/projects/${project}`, "layout");
  return { error: null, notice: `Store ${id} created.` };
}

export async function renameStore(
  project: string,
  store: string,
  _previous: FormState,
  formData: FormData,
): Promise<FormState> {
  const token = await requireToken();
  checkProject(project);
  if (!isId(store)) return { error: "There is no such store." };
  const name = text(formData, "name");
  if (name === "" || name.length > 200) return { error: "Enter a name of 1 to 200 characters." };
  try {
    await adminApi(token).renameStore(project, store, name);
  } catch (error) {
    return problem(error);
  }
  revalidatePath(`/projects/${project}`, "layout");
  return { error: null, notice: `Renamed to “${name}”.` };
}

export async function deleteStore(
  project: string,
  store: string,
  _previous: FormState,
  formData: FormData,
): Promise<FormState> {
  const token = await requireToken();
  checkProject(project);
  if (!isId(store)) return { error: "There is no such store." };
  if (text(formData, "confirm") !== store) {
    return { error: `Type the store id, ${store}, to confirm.` };
  }
  try {
    await adminApi(token).deleteStore(project, store);
  } catch (error) {
    return problem(error);
  }
  revalidatePath(`/projects/${project}`, "layout");
  redirect(`/projects/${project}/stores?deleted=${encodeURIComponent(store)}`);
}

export async function createKey(
  project: string,
  _previous: KeyFormState,
  formData: FormData,
): Promise<KeyFormState> {
  const token = await requireToken();
  checkProject(project);
  const name = text(formData, "name");
  if (name.length > 200) return { error: "The name is 200 characters at most." };
  const scope = text(formData, "scope");
  const storeIds = form(formData)
    .getAll("storeIds")
    .filter((id): id is string => typeof id === "string");
  if (scope === "selected" && storeIds.length === 0) {
    return { error: "Select at least one store, or scope the key to all stores." };
  }
  // Ticked stores always scope the key, whichever scope button is on (without JavaScript nothing
  // syncs them): a key never gets more than the operator picked.
  const selected = scope === "selected" || storeIds.length > 0;
  const readOnly = text(formData, "access") === "read-only";
  try {
    const created = await adminApi(token).createKey(project, {
      ...(name ? { name } : {}),
      ...(selected ? { storeIds } : {}),
      readOnly,
    });
    revalidatePath(`/projects/${project}/keys`);
    return { error: null, created };
  } catch (error) {
    return problem(error);
  }
}

export async function revokeKey(project: string, keyId: string): Promise<void> {
  const token = await requireToken();
  checkProject(project);
  if (typeof keyId !== "string" || !KEY_ID_PATTERN.test(keyId)) {
    redirect(`/projects/${project}/keys`);
  }
  let outcome = `revoked=${keyId}`;
  try {
    await adminApi(token).revokeKey(project, keyId);
  } catch (error) {
    if (!(error instanceof AdminApiError)) throw error;
    outcome = `error=${encodeURIComponent(error.code)}`;
  }
  revalidatePath(`/projects/${project}/keys`);
  redirect(`/projects/${project}/keys?${outcome}`);
}
