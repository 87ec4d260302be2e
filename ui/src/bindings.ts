// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit:
// run `UPDATE_BINDINGS=1 cargo test -p csfle-provisioner bindings` instead.

export type AppInfo = { version: string, store_name: string, 
/**
 * `AWS_ENDPOINT_URL` when set: every screen says so.
 */
endpoint_override: string | null, regions: Array<string>, default_region: string | null, profiles: Array<ProfileInfo>, };

export type ProfileInfo = { name: string, region: string | null, };

export type ConnectOptions = { 
/**
 * A profile of the shared config files; `None` uses the default credential chain.
 */
profile: string | null, 
/**
 * `None` takes the region from the profile or the environment.
 */
region: string | null, };

export type Identity = { account_id: string, 
/**
 * The account's alias (iam:ListAccountAliases), when it has one and the identity may read it:
 * a name the admin recognises beside the twelve digits.
 */
account_alias?: string | null, arn: string, region: string, 
/**
 * Set when requests go somewhere other than AWS itself (the sandbox emulator, a proxy).
 */
endpoint_override: string | null, };

export type KeySummary = { key_id: string, arn: string, aliases: Array<string>, 
/**
 * Empty until described.
 */
description: string, 
/**
 * Empty until described.
 */
state: string, 
/**
 * Whether `DescribeKey` was asked; `usable` and `reason` mean something only then.
 */
described: boolean, usable: boolean, reason: string | null, };

export type FieldCheck = { ok: boolean, message: string | null, };

export type KeyChoice = { "kind": "new", alias: string, description: string, } | { "kind": "existing", key: string, };

export type SetupRequest = { key: KeyChoice, user_name: string, 
/**
 * Empty or absent: derived from the user name.
 */
policy_name: string | null, 
/**
 * Whether `credential-process --long-lived` may print the stored key itself. Off unless the
 * admin asks for it explicitly (the CLI's `--allow-long-lived`); the app sends false.
 */
allow_long_lived: boolean, 
/**
 * The longest session credentials `credential-process` makes for this setup; absent: one hour.
 */
max_session_seconds: number | null, 
/**
 * The AWS profile of the account that holds an existing key of another account.
 */
key_profile: string | null, };

export type Plan = { identity: Identity, key: PlannedKey, user_name: string, policy_name: string, 
/**
 * The exact document PutUserPolicy will send; for a new key the ARN is shown as a placeholder.
 */
policy_document: string, steps: Array<PlanStep>, keychain: KeychainRef, 
/**
 * What `credential-process` will hand out, recorded in the keychain item.
 */
credential_terms: CredentialTerms, 
/**
 * The Security Hub findings the setup will have the moment it exists.
 */
findings: Array<Finding>, 
/**
 * For a key in another account: the statement its key policy gets, in that account.
 */
key_grant: KeyGrant | null, };

export type CredentialTerms = { 
/**
 * The stored long-lived key may be printed (`--long-lived`); otherwise session credentials only.
 */
allow_long_lived: boolean, 
/**
 * Session credentials last at most this long; a longer request is refused.
 */
max_session_seconds: number, };

export type PlanStep = { id: StepId, action: string, target: string, summary: string, };

export type PlannedKey = { "kind": "new", alias: string, description: string, } | { "kind": "existing", arn: string, alias: string | null, };

export type KeyGrant = { key_arn: string, 
/**
 * The key's account (the workload's is the plan's identity).
 */
key_account: string, 
/**
 * Who acts in the key's account (an ARN from sts:GetCallerIdentity).
 */
key_admin_arn: string, 
/**
 * The AWS profile the key's account is reached through, if one was named.
 */
key_profile: string | null, sid: string, 
/**
 * The role or user the statement names.
 */
principal_arn: string, 
/**
 * The statement exactly as PutKeyPolicy will add it.
 */
statement: string, };

export type KeychainRef = { service: string, account: string, store: string, 
/**
 * Where the item is kept and whether it leaves this machine (e.g. Windows: Local persistence).
 */
note: string, };

export type StepId = "create-key" | "enable-key-rotation" | "create-alias" | "create-user" | "put-user-policy" | "create-access-key" | "store-in-keychain" | "verify" | "create-role" | "put-role-policy" | "create-instance-profile" | "create-oidc-provider" | "create-pod-identity-association" | "put-key-policy";

export type Progress = { "event": "started", step: StepId, } | { "event": "finished", step: StepId, detail: string, elapsed_ms: number, } | { "event": "waiting", step: StepId, message: string, } | { "event": "failed", step: StepId, message: string, elapsed_ms: number, } | { "event": "rolledBack", step: StepId, message: string, } | { "event": "rollbackFailed", step: StepId, message: string, };

export type Outcome = { key_arn: string, key_alias: string | null, region: string, user_arn: string, user_name: string, policy_name: string, access_key_id: string, keychain: KeychainRef, verified: boolean, 
/**
 * Things the admin should know although the setup works, e.g. that the local journal could
 * not be written (the setups view and crash recovery then miss this run).
 */
warnings: Array<string>, };

export type VerifyReport = { verified: boolean, message: string, };

export type ErrorReport = { code: string, message: string, hint: string, 
/**
 * Boxed: most errors have none, and every `Result` carrying an `ErrorReport` stays small.
 */
rollback: RollbackReport | null, };

export type RollbackReport = { undone: Array<string>, left_behind: Array<string>, 
/**
 * Named by the journal but not shown by AWS as made by the run: not touched, not counted
 * as left behind.
 */
left_alone: Array<string>, };

export type Field = "userName" | "roleName" | "keyAlias" | "keyDescription" | "existingKey" | "policyName" | "region" | "profile" | "keyDeletionDays" | "keyArn" | "trust" | "maxSessionSeconds";

export type AwsFailureKind = "access-denied" | "invalid-credentials" | "expired-credentials" | "throttled" | "unreachable" | "not-found" | "already-exists" | "limit-exceeded" | "conflict" | "other";

export type SetupSummary = { kind: PrincipalKind, 
/**
 * The IAM user or role name.
 */
name: string, principal_arn: string | null, key_arn: string | null, key_aliases: Array<string>, key_state: string | null, key_created_by_app: boolean, policy_name: string | null, policy: PolicyHealth, 
/**
 * Permissions and sign-in material added outside this app (managed policies, groups, other
 * inline policies, console sign-in, a permissions boundary, …), in words. Any of them
 * means the setup is no longer least privilege.
 */
outside_changes: Array<string>, access_keys: Array<AccessKeyInfo>, 
/**
 * Empty for a role: it has no access key to store.
 */
keychain_account: string, keychain_present: boolean, 
/**
 * What `credential-process` may hand out, from the keychain item; `None` for a role or
 * when the item cannot be read.
 */
credential_terms: CredentialTerms | null, journal_state: RunState | null, 
/**
 * Security Hub controls judged from what AWS says now.
 */
findings: Array<Finding>, 
/**
 * Each access key's age and last use in human terms.
 */
key_ages: Array<KeyAge>, 
/**
 * Whether this app can prove it made the principal: only then may it be rotated or torn
 * down. An unproven setup is shown read-only.
 */
ownership: Ownership, 
/**
 * Why the app cannot tell, for an unproven setup.
 */
ownership_reason: string | null, 
/**
 * Every recorded copy of the credentials outside this keychain: where, which access key it
 * holds, when it was written.
 */
deliveries: Array<Delivery>, 
/**
 * A rotation waiting to finish: the old key it kept active and why, with the command.
 */
rotation_waiting: string | null, };

export type Ownership = "proven" | "unproven";

export type AccessKeyInfo = { access_key_id: string, status: string, age_days: number | null, last_used: string | null, in_keychain: boolean, };

export type LegacyScan = { 
/**
 * Unix seconds.
 */
scanned_at: number, users_scanned: number, roles_scanned: number, users: Array<string>, roles: Array<string>, };

export type Finding = { 
/**
 * The Security Hub control id, e.g. "KMS.4".
 */
control: string, 
/**
 * The control's title as Security Hub words it.
 */
title: string, status: FindingStatus, 
/**
 * Plain words: what AWS says, why it matters, and what fixes it.
 */
message: string, action: FindingAction | null, 
/**
 * The access key the action is about, when it is about one.
 */
access_key_id: string | null, };

export type FindingStatus = "passed" | "failed" | "unknown";

export type FindingAction = "enable-rotation" | "rotate-access-key" | "remove-unused-key" | "use-role" | "cancel-key-deletion";

export type KeyAge = { access_key_id: string, 
/**
 * "3 days ago", "today".
 */
created: string, 
/**
 * "2 hours ago", "never used".
 */
last_used: string, 
/**
 * Active and older than 90 days (IAM.3).
 */
too_old: boolean, 
/**
 * Active and unused (or never used) for 45 days or more (IAM.22).
 */
unused: boolean, };

export type RotationReport = { key_arn: string, 
/**
 * What AWS answered to kms:GetKeyRotationStatus after the change.
 */
rotation_enabled: boolean, message: string, };

export type PolicyHealth = "least-privilege" | "drifted" | "missing";

export type RunState = "in-progress" | "complete" | "rolled-back" | "torn-down";

export type PrincipalKind = "user" | "role";

export type RotateReport = { user_name: string, new_access_key_id: string, old_access_key_id: string, old_key_deleted: boolean, deleted_inactive_key: string | null, 
/**
 * The old key stays active: a copy of the credentials still holds it (see `copies`).
 */
old_key_kept: boolean, 
/**
 * Every recorded copy (Vault, Secrets Manager, sealed files) and whether it got the new key.
 */
copies: Array<CopyOutcome>, message: string, };

export type CopyOutcome = { kind: DeliveryKind, location: string, 
/**
 * The copy holds the new key now (for a sealed file: a new file was written for it).
 */
written: boolean, 
/**
 * Sealed: the new file, which the target must import before the old key goes.
 */
new_file: string | null, detail: string, };

export type Delivery = { account_id: string, user: string, kind: DeliveryKind, 
/**
 * The file, the Vault URL of the copy (`…/v1/MOUNT/data/PATH`) or its ARN in Secrets Manager.
 */
location: string, 
/**
 * Sealed: the target's age recipient.
 */
recipient: string | null, 
/**
 * Vault: the address, mount and path, and the KV version this app wrote last.
 */
vault_url: string | null, vault_mount: string | null, vault_path: string | null, vault_version: number | null, 
/**
 * Secrets Manager: the region, the KMS key encrypting it and the readers it allows.
 */
region: string | null, kms_key: string | null, readers: Array<string>, 
/**
 * The access key the copy holds.
 */
access_key_id: string, 
/**
 * When it was written (Unix seconds).
 */
written_at: number, 
/**
 * Sealed: the admin said the target imported this file (`rotate --confirm-imported`).
 */
confirmed: boolean, };

export type DeliveryKind = "sealed" | "vault" | "secrets-manager";

export type TeardownReport = { removed: Array<string>, 
/**
 * Things deliberately not touched (a key this app did not create) and why.
 */
kept: Array<string>, failed: Array<string>, 
/**
 * When KMS will delete the key; it can be cancelled until then.
 */
key_deletion_date: string | null, };

export type KeyVerdict = { key_arn: string, deletable: boolean, 
/**
 * Other setups or runs that use the key; any entry blocks deletion.
 */
used_by: Array<string>, reason: string, };

export type TeardownPreview = { kind: PrincipalKind, name: string, 
/**
 * False when an earlier teardown already removed the principal.
 */
principal_exists: boolean, 
/**
 * Permissions and sign-in material someone added outside this app, each with what teardown
 * does about it (detach, leave, delete), so that IAM lets the principal be deleted.
 */
outside_changes: Array<string>, 
/**
 * The master key the setup uses, if one could be found.
 */
key_arn: string | null, key_aliases: Array<string>, 
/**
 * Whether the master key may also be scheduled for deletion, and why (not). Only worked out
 * when asked for: it reads every setup in the account.
 */
key: KeyVerdict | null, 
/**
 * For a key in another account: the statement of its key policy this setup owns, and what
 * teardown does with it.
 */
key_grant: string | null, 
/**
 * The recorded copies of the credentials (Vault, Secrets Manager, sealed files), each with
 * what teardown does about it.
 */
copies: Array<string>, 
/**
 * For a key in another account: the profile that removes the statement there, checked, or
 * why none is at hand (the window then asks for the key's account profile).
 */
key_account: KeyAccountAccess | null, };

export type KeyAccountAccess = { 
/**
 * The account that holds the key (from the key's ARN).
 */
account_id: string, 
/**
 * The profile teardown uses there: the one the admin chose, else the one this computer
 * recorded when it made the setup. `None` when neither is known.
 */
profile: string | null, 
/**
 * Why no checked connection to that account is at hand (no profile known, a profile that
 * cannot sign in, or one of another account), in words; `None` once it is checked.
 */
problem: string | null, };

export type RoleRequest = { key: KeyChoice, role_name: string, 
/**
 * `ec2`, `ecs-tasks`, `lambda`, or a principal ARN (or 12-digit account id).
 */
trust: string, policy_name: string | null, 
/**
 * The AWS profile of the account that holds an existing key of another account.
 */
key_profile: string | null, };

export type RolePlan = { identity: Identity, key: PlannedKey, role_name: string, trust: Trust, trust_policy: string, policy_name: string, policy_document: string, instance_profile: string | null, 
/**
 * The IAM OIDC provider a web-identity trust names, and whether the setup creates it.
 */
oidc_provider: OidcProviderPlan | null, steps: Array<PlanStep>, 
/**
 * The Security Hub findings the setup will have the moment it exists.
 */
findings: Array<Finding>, 
/**
 * For a key in another account: the statement its key policy gets, in that account.
 */
key_grant: KeyGrant | null, };

export type OidcProviderPlan = { arn: string, 
/**
 * The issuer's URL without `https://`.
 */
issuer: string, 
/**
 * True when the account already has it: the setup uses it as it is and never removes it.
 */
exists: boolean, };

export type RoleOutcome = { key_arn: string, key_alias: string | null, region: string, role_arn: string, role_name: string, policy_name: string, instance_profile_arn: string | null, trust: Trust, 
/**
 * True when the role was assumed and its credentials encrypted and decrypted a value.
 */
verified: boolean, verification: string, 
/**
 * What the setup could not record locally (the journal), though it works.
 */
warnings: Array<string>, 
/**
 * The workload's own configuration for a web-identity trust (a GitHub Actions workflow).
 */
workload_snippet: string | null, };

export type Trust = { "kind": "service", service: string, } | { "kind": "principal", arn: string, } | { "kind": "webIdentity", 
/**
 * The issuer URL without `https://`, as IAM names its OIDC provider.
 */
issuer: string, subject: string, 
/**
 * Where the tokens come from, as the admin reads it ("GitHub Actions").
 */
source: string, } | { "kind": "podIdentity", cluster: string, cluster_arn: string, namespace: string, service_account: string, };

export type ProfileWritten = { profile: string, config_file: string, backup: string | null, };

export type InterruptedRun = { run_id: string, kind: PrincipalKind, user_name: string, region: string, 
/**
 * Unix seconds; exact as a JavaScript number until the year 285 million.
 */
started_at: number, created: Array<string>, };

export type CleanupPreview = { run_id: string, principal_name: string, remove: Array<string>, left_alone: Array<string>, };

export type PendingDeletion = { key_arn: string, description: string, 
/**
 * When KMS deletes the key, unix seconds; it can be cancelled until then.
 */
deletion_date: number | null, };

export type Delivered = { 
/**
 * Why this computer could not note the delivery, if it could not (rotation then cannot
 * write a fresh file for this recipient).
 */
recorded: string | null, user: string, recipient: string, file: string, };

export type Pushed = { user: string, kind: DeliveryKind, 
/**
 * Where the copy goes: its Vault URL, or its name or ARN in Secrets Manager.
 */
location: string, 
/**
 * The access key the copy holds (its id, which is public).
 */
access_key_id: string, 
/**
 * What is (or would be) done, in order.
 */
steps: Array<string>, 
/**
 * Secrets Manager: the resource policy, exactly as it is written.
 */
resource_policy: unknown, vault_version: number | null, kms_key: string | null, dry_run: boolean, };

export type CopyTarget = { "store": "vault", url: string, path: string, } | { "store": "secrets-manager", name: string, readers: Array<string>, };

export type VaultLogin = { "method": "token", token: string, } | { "method": "app-role", role_id: string, secret_id: string, };

export type VaultSignIn = { url: string, login: VaultLogin, };

export type Command = "app_info" | "connect" | "list_keys" | "describe_keys" | "check_user_name" | "check_alias" | "check_policy_name" | "plan" | "apply" | "cancel" | "verify_again" | "list_setups" | "legacy_scan" | "verify_setup" | "rotate" | "enable_key_rotation" | "teardown" | "teardown_preview" | "admin_policy" | "fix_key_policy" | "plan_role" | "apply_role" | "add_aws_profile" | "interrupted_runs" | "resume_run" | "clean_up_preview" | "pending_deletions" | "cancel_key_deletion" | "clean_up_run" | "open_in_console" | "deliver_sealed" | "suggest_delivery_path" | "plan_copy" | "copy_to_store" | "finish_rotation";
