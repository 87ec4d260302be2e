// What the window checks before it asks the engine anything about a copy in a secret store: the
// same rules the CLI applies (src-tauri/core/src/store/vault.rs, aws/secrets_manager.rs), in the
// window's words. Each returns null when the value is fine, else what to fix. The engine checks again.

const LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]"];

/** Vault's address: https://HOST[:PORT], or plain http to this computer only (a dev server). */
export function vaultUrlProblem(value: string): string | null {
  const url = value.trim().replace(/\/+$/, "");
  if (!url) return "Type the Vault server's address first.";
  const split = url.indexOf("://");
  if (split < 0) return "The address starts with https:// (for example https://vault.example.com:8200).";
  const scheme = url.slice(0, split);
  const rest = url.slice(split + 3);
  if (!rest || /[/?#@\s]/.test(rest)) return "Give only https://HOST or https://HOST:PORT, without a path, user name or query.";
  let host = rest;
  const colon = rest.lastIndexOf(":");
  const before = rest.slice(0, colon);
  if (colon >= 0 && (!before.endsWith("]") || rest.startsWith("["))) {
    const port = rest.slice(colon + 1);
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return "The port after the colon is not a number from 0 to 65535.";
    host = before;
  }
  if (scheme === "https") return null;
  if (scheme === "http") {
    return LOCAL_HOSTS.includes(host) ? null : "Plain http would send the credentials unencrypted: use https (http only for 127.0.0.1 or localhost).";
  }
  return "The address starts with https://.";
}

/** A KV version 2 path as MOUNT/PATH (what `bao kv put -mount=MOUNT PATH` takes). */
export function vaultPathProblem(value: string): string | null {
  const path = value.trim().replace(/^\/+|\/+$/g, "");
  if (!path) return "Type the KV path first, as MOUNT/PATH (for example secret/apps/billing).";
  if (path.length > 512) return "The path is longer than 512 characters.";
  const parts = path.split("/");
  if (parts.length < 2) return "The path needs the mount and a path under it: MOUNT/PATH, for example secret/apps/billing.";
  if (parts.some((part) => part === "" || part === "." || part === "..")) return "The path has an empty, . or .. part between its slashes.";
  if (parts.some((part) => !/^[A-Za-z0-9\-_.@+=]+$/.test(part))) return "Use letters, digits and - _ . @ + = between the slashes.";
  if (parts[1] === "data" || parts[1] === "metadata") return "Leave out data/ or metadata/: give MOUNT/PATH, for example secret/apps/billing.";
  return null;
}

/** A Secrets Manager secret name (AWS's rules, and not one that looks like an ARN's suffix). */
export function secretNameProblem(value: string): string | null {
  const name = value.trim();
  if (!name) return "Type the secret's name first.";
  if (name.length > 512 || !/^[A-Za-z0-9/_+=.@-]+$/.test(name)) return "A secret's name is 1 to 512 characters: letters, digits and / _ + = . @ -.";
  if (/-[A-Za-z0-9]{6}$/.test(name)) return "The name ends with a hyphen and six characters, like the suffix Secrets Manager adds to ARNs: choose a name that does not.";
  return null;
}

/** The readers, one ARN per line (blank lines ignored; an ARN has no spaces, so readers pasted
 * on one line with spaces between are taken too). */
export function readerLines(value: string): string[] {
  return value
    .split(/\s+/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/** An IAM role or user ARN of any account: a resource policy names readers one by one. */
export function readerProblem(arn: string): string | null {
  const parts = arn.split(":");
  const resource = parts.slice(5).join(":");
  const ok =
    parts.length >= 6 &&
    parts[0] === "arn" &&
    parts[1].startsWith("aws") &&
    parts[2] === "iam" &&
    parts[3] === "" &&
    /^\d{12}$/.test(parts[4]) &&
    /^(role|user)\/[A-Za-z0-9/+=,.@_-]+$/.test(resource);
  return ok ? null : `${arn} is not an IAM role or user ARN (arn:aws:iam::123456789012:role/NAME).`;
}

export function readersProblem(value: string): string | null {
  const readers = readerLines(value);
  if (!readers.length) return "Name at least one reader: the ARN of the role or user the application runs as.";
  for (const reader of readers) {
    const problem = readerProblem(reader);
    if (problem) return problem;
  }
  return null;
}
