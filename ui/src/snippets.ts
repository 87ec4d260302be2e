// Driver configuration to copy: the master key ({region, key}) and how each driver obtains the
// credentials. No snippet contains a secret: drivers fetch credentials on demand from the AWS
// default chain, which reads the keychain through a credential_process profile.

import type { Outcome } from "./bindings";

export interface Snippet {
  driver: string;
  language: string;
  code: string;
}

export function profileName(outcome: Outcome): string {
  return `csfle-${outcome.user_name}`;
}

/** One-time shell setup that points an AWS profile at the keychain item (no plaintext file). */
export function profileSetup(outcome: Outcome): string {
  return [
    `csfle-provisioner-cli aws-profile --user ${outcome.user_name} --profile ${profileName(outcome)}`,
    `export AWS_PROFILE=${profileName(outcome)}   # in the application's environment`,
  ].join("\n");
}

/** Where the drivers' automatic AWS credentials come from, in the snippets' comments. */
export const FROM_PROFILE = "AWS_PROFILE";
export const FROM_ROLE = "the role (instance profile, task role or execution role)";

/** The quoted region and key ARN a snippet names, and where its driver gets credentials from.
 * `noProfile` is the same for the drivers whose own credential chain reads no AWS profile
 * (mongo-go-driver's internal/credproviders, libmongoc's and so PHP's): environment, web
 * identity, ECS and EC2 only. `user` names the IAM user of a user setup. */
interface Target {
  region: string;
  key: string;
  source: string;
  noProfile: string;
  user: string | undefined;
}

function nodeSnippet(t: Target): Snippet {
  return {
    driver: "Node.js",
    language: "javascript",
    code: `// npm install mongodb mongodb-client-encryption @aws-sdk/credential-providers
const kmsProviders = { aws: {} }; // credentials on demand from ${t.source}
const masterKey = { region: ${t.region}, key: ${t.key} };
const encryption = new ClientEncryption(client, {
  keyVaultNamespace: "encryption.__keyVault",
  kmsProviders,
});
const dataKeyId = await encryption.createDataKey("aws", { masterKey });`,
  };
}

function pythonSnippet(t: Target): Snippet {
  return {
    driver: "Python",
    language: "python",
    code: `# pip install "pymongo[aws,encryption]"
kms_providers = {"aws": {}}  # credentials on demand from ${t.source}
master_key = {"region": ${t.region}, "key": ${t.key}}
client_encryption = ClientEncryption(
    kms_providers, "encryption.__keyVault", client, CodecOptions()
)
data_key_id = client_encryption.create_data_key("aws", master_key=master_key)`,
  };
}

function javaSnippet(t: Target): Snippet {
  return {
    driver: "Java",
    language: "java",
    code: `// Credentials on demand from ${t.source} (AWS SDK for Java v2 on the classpath)
Map<String, Map<String, Object>> kmsProviders = Map.of("aws", Map.of());
BsonDocument masterKey = new BsonDocument()
    .append("region", new BsonString(${t.region}))
    .append("key", new BsonString(${t.key}));
BsonBinary dataKeyId = clientEncryption.createDataKey("aws",
    new DataKeyOptions().masterKey(masterKey));`,
  };
}

function goSnippet(t: Target): Snippet {
  return {
    driver: "Go",
    language: "go",
    code: `${t.noProfile}
kmsProviders := map[string]map[string]interface{}{"aws": {}}
masterKey := map[string]interface{}{
	"region": ${t.region},
	"key":    ${t.key},
}
dataKeyID, err := clientEncryption.CreateDataKey(ctx, "aws",
	options.DataKey().SetMasterKey(masterKey))`,
  };
}

function csharpSnippet(t: Target): Snippet {
  return {
    driver: "C#",
    language: "csharp",
    code: `// dotnet add package MongoDB.Driver.Authentication.AWS (driver 3.x: AWS credentials come
// from this package, through the AWS SDK for .NET's chain, which reads ${t.source})
// Register it once, before the first MongoClient:
MongoClientSettings.Extensions.AddAWSAuthentication();
var kmsProviders = new Dictionary<string, IReadOnlyDictionary<string, object>>
{
    { "aws", new Dictionary<string, object>() }
};
var masterKey = new BsonDocument { { "region", ${t.region} }, { "key", ${t.key} } };
var dataKeyId = clientEncryption.CreateDataKey("aws",
    new DataKeyOptions(masterKey: masterKey), CancellationToken.None);`,
  };
}

function rustSnippet(t: Target): Snippet {
  return {
    driver: "Rust",
    language: "rust",
    code: `// mongodb 3.3 or later, features ["in-use-encryption", "aws-auth"]
${rustCredentialsLine(t)}
let kms_providers = vec![(KmsProvider::aws(), doc! {}, None)];
let master_key = AwsMasterKey::builder()
    .region(${t.region})
    .key(${t.key})
    .build();
let data_key_id = client_encryption
    .create_data_key(master_key)
    .run()
    .await?;`,
  };
}

/** mongodb 3.3+ takes on-demand AWS credentials from aws-config's default chain
 * (driver/src/client/auth/aws.rs, get_aws_credentials), but builds aws-config without its
 * `credentials-process` feature (driver/Cargo.toml): a profile's credential_process then fails
 * unless the application's own Cargo.toml turns the feature on, which Cargo merges. */
function rustCredentialsLine(t: Target): string {
  if (t.user === undefined) return `// Credentials on demand from ${t.source}, through the AWS SDK for Rust's chain`;
  return `// Credentials on demand through the AWS SDK for Rust's chain, which reads ${t.source}. The
// driver builds aws-config without credential_process support: turn it on in Cargo.toml
// (Cargo merges the features):
//   aws-config = "1"   # its default features include "credentials-process"
// (mongodb before 3.3 reads no profile:
//   csfle-provisioner-cli exec --user ${t.user} -- ./your-application)`;
}

function cSnippet(t: Target): Snippet {
  return {
    driver: "C / PHP",
    language: "c",
    code: `${t.noProfile}
/* C (libmongoc): an empty "aws" document asks for credentials on demand */
bson_t *kms_providers = BCON_NEW ("aws", "{", "}");
bson_t *master_key = BCON_NEW ("region", BCON_UTF8 (${t.region}), "key", BCON_UTF8 (${t.key}));
/* PHP (mongodb extension, on libmongoc):
   $clientEncryption = $manager->createClientEncryption(['keyVaultNamespace' => 'encryption.__keyVault',
     'kmsProviders' => ['aws' => []]]);
   $clientEncryption->createDataKey('aws', ['masterKey' => ['region' => ${t.region}, 'key' => ${t.key}]]); */`,
  };
}

function mongoshSnippet(t: Target): Snippet {
  return {
    driver: "mongosh",
    language: "javascript",
    code: `// Credentials on demand from ${t.source}
const csfleOptions = {
  keyVaultNamespace: "encryption.__keyVault",
  kmsProviders: { aws: {} },
};
const encryptedClient = Mongo(connectionString, csfleOptions);
const keyVault = encryptedClient.getKeyVault();
keyVault.createKey("aws", { region: ${t.region}, key: ${t.key} });`,
  };
}

/** One per driver, in the order the Done screen shows them. */
const DRIVERS: readonly ((t: Target) => Snippet)[] = [
  nodeSnippet,
  pythonSnippet,
  javaSnippet,
  goSnippet,
  cSnippet,
  csharpSnippet,
  rustSnippet,
  mongoshSnippet,
];

/** What the drivers without a profile are told: on a user setup, `exec` (session credentials in
 * the application's environment only); on a role, the platform's own sources, which they read. */
function noProfileLine(user: string | undefined): string {
  if (user === undefined) {
    return "// Credentials on demand from the role: this driver reads the environment, web identity\n// (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE), ECS and EC2, which is what the platform provides";
  }
  return `// This driver reads no AWS profile. Start the application with its credentials in its
// environment only (session credentials, renewed at each start):
//   csfle-provisioner-cli exec --user ${user} -- ./your-application`;
}

/** `user` names the IAM user of a user setup; a role setup has none. */
export function snippets(master: { region: string; key_arn: string }, source: string = FROM_PROFILE, user?: string): Snippet[] {
  const target = { region: JSON.stringify(master.region), key: JSON.stringify(master.key_arn), source, noProfile: noProfileLine(user), user };
  return DRIVERS.map((snippet) => snippet(target));
}
