# An application reading its credentials from the organisation's store, as it would in
# production: from Vault/OpenBao over its HTTP API (VAULT_ADDR, VAULT_TOKEN, COPY_PATH) or from
# Secrets Manager through botocore (SECRET_ID, as the reader the resource policy names), then a
# KMS Encrypt/Decrypt round trip with the key it read. Prints only the access key id it used;
# the secret stays in this process.
import json, os, sys, urllib.request
import boto3

source = sys.argv[1]
if source == "vault":
    request = urllib.request.Request(
        f"{os.environ['VAULT_ADDR']}/v1/secret/data/{os.environ['COPY_PATH']}",
        headers={"X-Vault-Token": os.environ["VAULT_TOKEN"]},
    )
    with urllib.request.urlopen(request) as reply:
        copy = json.load(reply)["data"]["data"]
else:
    secrets = boto3.client("secretsmanager", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    copy = json.loads(secrets.get_secret_value(SecretId=os.environ["SECRET_ID"])["SecretString"])

kms = boto3.client(
    "kms",
    endpoint_url=os.environ["AWS_ENDPOINT_URL"],
    region_name=copy["Region"],
    aws_access_key_id=copy["AccessKeyId"],
    aws_secret_access_key=copy["SecretAccessKey"],
)
blob = kms.encrypt(KeyId=copy["KeyArn"], Plaintext=b"round trip")["CiphertextBlob"]
assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"round trip"
print(json.dumps({"AccessKeyId": copy["AccessKeyId"], "WrittenBy": copy["WrittenBy"], "round_trip": True}))
