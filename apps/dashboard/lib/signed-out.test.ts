import { randomBytes } from "node:crypto";
import { expect, it } from "vitest";
import { seal } from "./seal";
import { SignedOutSessions } from "./signed-out";

const key = randomBytes(32);
const TOKEN = "coffer_admin_0123456789ab_cdefghijklmnopqrstuv";

it("lists a signed-out session until its cookie expires, and only that session", () => {
  const list = new SignedOutSessions();
  const now = 1_000_000;
  const gone = seal(key, TOKEN, now + 60_000);
  const other = seal(key, TOKEN, now + 60_000); // the same token, signed in elsewhere
  list.add(gone, now + 60_000, now);
  expect(list.has(gone, now)).toBe(true);
  expect(list.has(other, now)).toBe(false);
  expect(list.has(gone, now + 60_000)).toBe(false);
});

it("drops expired entries as others are added, so the list stays small", () => {
  const list = new SignedOutSessions();
  for (let i = 0; i < 50; i++) list.add(seal(key, TOKEN, 10_000 + i), 10_000 + i, i);
  expect(list.size).toBe(50);
  list.add(seal(key, TOKEN, 1e9), 1e9, 20_000);
  expect(list.size).toBe(1);
});
