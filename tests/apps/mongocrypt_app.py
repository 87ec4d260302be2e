# An application as MongoDB runs one: libmongocrypt (through pymongocrypt) with on-demand AWS
# credentials (kms_providers {"aws": {}}), which come from the AWS default chain, here the
# AWS_PROFILE whose credential_process is csfle-provisioner-cli. libmongocrypt signs its KMS
# requests itself; this callback carries them to the emulator (plain HTTP instead of TLS), with
# the Host header libmongocrypt set (kms.<region>.amazonaws.com), which routes them to moto's KMS.
import json, os, socket, urllib.parse
import bson
from pymongocrypt.options import MongoCryptOptions
from pymongocrypt.synchronous.explicit_encrypter import ExplicitEncrypter
from pymongocrypt.synchronous.state_machine import MongoCryptCallback

emulator = urllib.parse.urlparse(os.environ["EMULATOR_URL"])
seen = {"token_sent": False}

class Callback(MongoCryptCallback):
    def __init__(self):
        self.keys = []

    def kms_request(self, kms_context):
        message = kms_context.message
        seen["token_sent"] = seen["token_sent"] or b"x-amz-security-token:" in message.lower()
        with socket.create_connection((emulator.hostname, emulator.port)) as conn:
            conn.sendall(message)
            while kms_context.bytes_needed > 0:
                data = conn.recv(kms_context.bytes_needed)
                if not data:
                    raise RuntimeError("the emulator closed the connection")
                kms_context.feed(data)

    def collection_info(self, database, filter):
        raise NotImplementedError

    def mark_command(self, database, cmd):
        raise NotImplementedError

    def fetch_keys(self, filter):
        return iter(self.keys)

    def insert_data_key(self, data_key):
        self.keys.append(data_key)
        return bson.decode(data_key)["_id"]

    def bson_encode(self, doc):
        return bson.encode(doc)

    def close(self):
        pass

callback = Callback()
encrypter = ExplicitEncrypter(callback, MongoCryptOptions({"aws": {}}))
key_id = encrypter.create_data_key("aws", master_key={"region": os.environ["AWS_REGION_OF_KEY"], "key": os.environ["KEY_ARN"]})
value = bson.encode({"v": "4111-1111-1111-1111"})
encrypted = encrypter.encrypt(value, "AEAD_AES_256_CBC_HMAC_SHA_512-Deterministic", key_id=bytes(key_id))
# A fresh encrypter has no cached data key: decrypting makes libmongocrypt call kms:Decrypt.
fresh = ExplicitEncrypter(callback, MongoCryptOptions({"aws": {}}))
decrypted = bson.decode(fresh.decrypt(encrypted))["v"]
print(json.dumps({"round_trip": decrypted == "4111-1111-1111-1111", "token_sent": seen["token_sent"]}))
