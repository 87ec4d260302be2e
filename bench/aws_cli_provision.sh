#!/usr/bin/env bash
# The baseline: what an admin would script with the AWS CLI for the same setup (key, alias, user,
# least-privilege policy, access key into the keychain, proof by Encrypt/Decrypt with the new key).
# No plan checks and no rollback: the comparison flatters the baseline. Usage: aws_cli_provision.sh USER
set -euo pipefail
user="$1"
account=$(aws sts get-caller-identity --query Account --output text)
key_arn=$(aws kms create-key --key-spec SYMMETRIC_DEFAULT --key-usage ENCRYPT_DECRYPT \
  --tags TagKey=created-by,TagValue=aws-cli-baseline --query KeyMetadata.Arn --output text)
aws kms create-alias --alias-name "alias/$user" --target-key-id "$key_arn"
aws iam create-user --user-name "$user" --tags Key=created-by,Value=aws-cli-baseline >/dev/null
policy=$(printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt"],"Resource":"%s"}]}' "$key_arn")
aws iam put-user-policy --user-name "$user" --policy-name "csfle-kms-$user" --policy-document "$policy"
read -r key_id secret < <(aws iam create-access-key --user-name "$user" \
  --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
printf '{"AccessKeyId":"%s","SecretAccessKey":"%s","KeyArn":"%s"}' "$key_id" "$secret" "$key_arn" |
  secret-tool store --label "baseline $user" service csfle-aws-cli-baseline username "$account/$user"
export AWS_ACCESS_KEY_ID="$key_id" AWS_SECRET_ACCESS_KEY="$secret"
until aws sts get-caller-identity >/dev/null 2>&1; do sleep 1; done
probe=$(mktemp) && head -c 32 /dev/urandom >"$probe"
cipher=$(mktemp) && aws kms encrypt --key-id "$key_arn" --plaintext "fileb://$probe" --query CiphertextBlob --output text | base64 -d >"$cipher"
aws kms decrypt --ciphertext-blob "fileb://$cipher" --query Plaintext --output text | base64 -d | cmp -s - "$probe"
rm -f "$probe" "$cipher"
