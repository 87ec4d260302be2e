// One application name, from which the key alias, the user or role name and the policy name are
// made. Each derived name can still be edited; until it is, it follows the application name. The
// forms are the ones the CLI's examples use (`--user app-csfle --new-key alias/app-csfle`) and the
// policy name is the engine's own default (validate::default_policy_name: csfle-kms-<principal>).

/** Added to the application name for the IAM user or role, and for the alias. */
export const SUFFIX = "-csfle";
/** IAM user and role names: 1–64 characters (AWS's rule). */
export const IAM_NAME_MAX = 64;
/** The longest application name whose derived IAM name still fits in 64 characters. */
export const APP_NAME_MAX = IAM_NAME_MAX - SUFFIX.length;

export interface DerivedNames {
  alias: string;
  principal: string;
  policy: string;
  description: string;
}

/** Which derived names the admin changed by hand: those no longer follow the application name. */
export interface Edited {
  alias: boolean;
  principal: boolean;
  policy: boolean;
  description: boolean;
}

/** The names an application name gives, before any is edited. */
export function derivedNames(app: string): DerivedNames {
  const name = app.trim();
  const principal = `${name}${SUFFIX}`;
  return { alias: `alias/${principal}`, principal, policy: defaultPolicyName(principal), description: `MongoDB CSFLE master key for ${name}` };
}

/** What the engine names the inline policy when none is given: keep the two in step. */
export function defaultPolicyName(principal: string): string {
  return `csfle-kms-${principal}`;
}

/**
 * Why `app` cannot be an application name, or null. Only letters, digits, _ and - are allowed:
 * the characters both IAM names and KMS aliases accept, so every derived name is valid.
 */
export function appNameProblem(app: string): string | null {
  const name = app.trim();
  if (name.length === 0) return "Enter a name for your application, for example orders.";
  const bad = [...name].find((c) => !/[A-Za-z0-9_-]/.test(c));
  if (bad !== undefined) return `Use only letters, digits, _ and - (found ${JSON.stringify(bad)}): the name becomes part of IAM names and the key alias.`;
  if (name.length > APP_NAME_MAX) {
    return `At most ${APP_NAME_MAX} characters (it is ${name.length}): the IAM name ${name}${SUFFIX} would be ${name.length + SUFFIX.length} characters and AWS allows ${IAM_NAME_MAX}.`;
  }
  return null;
}

/** IAM's rule for user and role names (validate::iam_name in the engine), checked before any call. */
export function iamNameProblem(value: string, max = IAM_NAME_MAX): string | null {
  const length = [...value].length;
  if (length === 0 || length > max) return `Must be 1–${max} characters long (it is ${length}).`;
  const bad = [...value].find((c) => !/[A-Za-z0-9+=,.@_-]/.test(c));
  return bad === undefined ? null : `May only contain letters, digits and + = , . @ _ - (found ${JSON.stringify(bad)}).`;
}

/** The fields the names live in, as the wizard keeps them. */
export interface NamedFields {
  appName: string;
  alias: string;
  description: string;
  userName: string;
  roleName: string;
  policyName: string;
  edited: Edited;
}

export function notEdited(): Edited {
  return { alias: false, principal: false, policy: false, description: false };
}

/** Sets the application name and every derived name the admin has not changed by hand. */
export function applyAppName(fields: NamedFields, app: string): void {
  fields.appName = app;
  const derived = derivedNames(app);
  if (!fields.edited.alias) fields.alias = derived.alias;
  if (!fields.edited.description) fields.description = derived.description;
  if (!fields.edited.principal) {
    fields.userName = derived.principal;
    fields.roleName = derived.principal;
    followPrincipal(fields, derived.principal);
  }
}

/** A principal name typed by hand: the policy name follows it, as the engine's default does, until it too is edited. */
export function followPrincipal(fields: NamedFields, principal: string): void {
  if (!fields.edited.policy) fields.policyName = defaultPolicyName(principal);
}
