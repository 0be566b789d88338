// A faithful re-implementation of the client-side scheme of Stack Auth's Data Vault, the
// baseline Coffer is measured against. Per operation it runs PBKDF2-HMAC-SHA256 with 100,000
// iterations twice (once to hash the key into the stored id, once to derive the value key),
// then AES-256-GCM, all through WebCrypto.
const ITERATIONS = 100_000;
const encoder = new TextEncoder();

type Bytes = Uint8Array<ArrayBuffer>;

async function pbkdf2(password: Bytes, salt: Bytes): Promise<Bytes> {
  const material = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", salt, iterations: ITERATIONS, hash: "SHA-256" },
    material,
    256,
  );
  return new Uint8Array(bits);
}

function concat(...parts: Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

async function hashKey(storeId: string, key: string, secret: string): Promise<Bytes> {
  return pbkdf2(
    encoder.encode(key),
    encoder.encode(JSON.stringify(["data-vault-key", storeId, secret])),
  );
}

async function valueKey(storeId: string, key: string, secret: string, salt: Bytes) {
  const raw = await pbkdf2(
    encoder.encode(`${secret}:${key}`),
    concat(encoder.encode(storeId), salt),
  );
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function stackSeal(storeId: string, key: string, secret: string, value: Bytes) {
  const hashedKey = await hashKey(storeId, key, secret);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const aes = await valueKey(storeId, key, secret, salt);
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aes, value),
  );
  return { hashedKey, envelope: concat(new Uint8Array([1, 0]), salt, iv, ciphertext) };
}

export async function stackOpen(storeId: string, key: string, secret: string, envelope: Bytes) {
  await hashKey(storeId, key, secret); // the read path looks the entry up by hashed key too
  const salt = envelope.subarray(2, 18);
  const iv = envelope.subarray(18, 30);
  const aes = await valueKey(storeId, key, secret, salt);
  return new Uint8Array(
    await crypto.subtle.decrypt({ name: "AES-GCM", iv }, aes, envelope.subarray(30)),
  );
}
