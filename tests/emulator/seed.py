"""Gives the sandbox emulator an account worth exploring: keys to choose from (one usable, one
disabled, one asymmetric) and an existing user, so every screen has something to show."""

import sys

import boto3

url = sys.argv[1]
session = boto3.session.Session(aws_access_key_id="AKIASANDBOXADMIN0001", aws_secret_access_key="sandbox", region_name="us-east-1")
kms = session.client("kms", endpoint_url=url)
iam = session.client("iam", endpoint_url=url)

shared = kms.create_key(Description="Existing team key for MongoDB CSFLE")["KeyMetadata"]["KeyId"]
kms.create_alias(AliasName="alias/team-shared-csfle", TargetKeyId=shared)
disabled = kms.create_key(Description="Retired key")["KeyMetadata"]["KeyId"]
kms.create_alias(AliasName="alias/retired", TargetKeyId=disabled)
kms.disable_key(KeyId=disabled)
signing = kms.create_key(Description="Document signing", KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
kms.create_alias(AliasName="alias/signing", TargetKeyId=signing)
iam.create_user(UserName="existing-app")
