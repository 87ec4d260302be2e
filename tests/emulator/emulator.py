"""The AWS emulator for tests and the sandbox: moto's server plus a fault-injection layer.

moto answers IAM, KMS and STS on one port. In front of it sits a small WSGI layer that:
- records every AWS action it sees (GET /_requests), so a test can prove that no call was made,
  with the names the call acts on (`params`: user, role, key, alias, tags; never a secret or a
  policy), so a test can check each call against the admin policy's resources;
- fails chosen calls on demand (POST /_faults), the way AWS fails them: throttling, HTTP 500,
  AccessDenied, a reset connection, a stalled call, or a new access key that is not live yet.
- Standing rules (they stay until DELETE /_faults) for what moto does not do:
  kind "propagation" refuses every call signed with an access key (or role session) this emulator
  issued less than `seconds` ago, like IAM's eventual consistency; kind "paginate" pages ListKeys,
  ListAliases and ListUsers with AWS's default and maximum page sizes, which moto returns whole;
  kind "latency" holds every AWS reply `seconds` (a fixed delay per round trip, as a real network
  far from the endpoint does; calls in flight together wait together).
- IAM's credential report as AWS makes it (moto makes a new one at every GetCredentialReport, with a
  fixed 2015 GeneratedTime, no upload dates of signing certificates): GenerateCredentialReport
  takes a snapshot of the account and keeps it for four hours (a new one only when the last is
  older), GetCredentialReport returns that snapshot with the time it was taken. DELETE
  /_credential-report drops it, as if four hours had passed.
- users' permissions boundaries, which moto has only for roles: PutUserPermissionsBoundary and
  DeleteUserPermissionsBoundary are kept here and shown in GetUser and GetAccountAuthorizationDetails.
- seeds a big account in-process (POST /_seed), far faster than thousands of API calls.
- serves KMS across accounts as AWS does (moto looks keys up only in the caller's account and
  evaluates no key policy): a call naming another account's key by ARN (or a Decrypt of that
  key's ciphertext) is served from that account, and only when both the key policy and the
  caller's own IAM policies allow it ("neither alone is sufficient").
Prints "READY <url>" on stdout once it accepts connections.
"""

import argparse
import io
import json
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/")
QUERY_XMLNS = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}


# Request fields that name what a call acts on (the resource IAM authorises it against), kept in
# the request log. Nothing secret: no plaintext, ciphertext, password or policy document.
RESOURCE_FIELDS = {
    "UserName", "RoleName", "InstanceProfileName", "GroupName", "SerialNumber", "Path", "PolicyArn",
    "RoleArn", "KeyId", "AliasName", "TargetKeyId", "PermissionsBoundary",
}


def resource_params(body, target):
    """The RESOURCE_FIELDS of a call, and its request tags as {"Tags": {key: value}}."""
    params, tags = {}, {}
    try:
        if target:
            data = json.loads(body or b"{}")
            params = {k: v for k, v in data.items() if k in RESOURCE_FIELDS and isinstance(v, str)}
            tags = {t.get("TagKey"): t.get("TagValue") for t in data.get("Tags") or [] if isinstance(t, dict)}
        else:
            form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
            params = {k: v for k, v in form.items() if k in RESOURCE_FIELDS}
            for key, value in form.items():
                match = re.fullmatch(r"Tags\.member\.(\d+)\.Key", key)
                if match:
                    tags[value] = form.get(f"Tags.member.{match.group(1)}.Value", "")
    except (ValueError, AttributeError):
        pass
    if tags:
        params["Tags"] = tags
    return params


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []
        self.requests = []
        # Access key id -> when this emulator issued it (CreateAccessKey, AssumeRole).
        self.issued = {}

    def record(self, service, action, access_key, params=None):
        entry = {"service": service, "action": action, "accessKey": access_key, "params": params or {}, "start": time.perf_counter(), "end": None}
        with self.lock:
            self.requests.append(entry)
        return entry

    def take(self, service, action, access_key, body=b""):
        """Returns the first rule matching this call and uses up one of its times."""
        with self.lock:
            for rule in self.rules:
                if rule.get("kind") in STANDING:
                    continue
                if "bodyContains" in rule and rule["bodyContains"].encode() not in body:
                    continue
                if rule.get("action") not in (None, action):
                    continue
                if rule.get("service") not in (None, service):
                    continue
                if rule.get("accessKey") not in (None, access_key):
                    continue
                if "notAccessKey" in rule and rule["notAccessKey"] == access_key:
                    continue
                if rule.get("skip", 0) > 0:
                    rule["skip"] -= 1
                    continue
                rule["times"] = rule.get("times", 1) - 1
                if rule["times"] <= 0:
                    self.rules.remove(rule)
                return dict(rule)
        return None

    def propagating(self, service, action, access_key):
        """The standing "propagation" rule that refuses this call, if the key is still too new."""
        with self.lock:
            issued = self.issued.get(access_key)
            if issued is None:
                return None
            for rule in self.rules:
                if rule.get("kind") != "propagation":
                    continue
                if rule.get("action") not in (None, action) or rule.get("service") not in (None, service):
                    continue
                if time.perf_counter() - issued < rule.get("seconds", 5):
                    return dict(rule)
        return None

    def latency(self):
        """Seconds every reply is held, from the standing "latency" rules (they add up)."""
        with self.lock:
            return sum(rule.get("seconds", 0) for rule in self.rules if rule.get("kind") == "latency")

    def page_size(self, action):
        """(default, maximum) page size when a standing "paginate" rule covers `action`."""
        with self.lock:
            for rule in self.rules:
                if rule.get("kind") == "paginate" and rule.get("action") in (None, action) and action in PAGED:
                    return PAGED[action][1:]
        return None


# Rules that describe the account's behaviour rather than one call: never used up by `take`.
STANDING = ("propagation", "paginate", "latency")
# List calls moto answers in one piece: (list field, AWS's default page size, AWS's maximum).
PAGED = {
    "ListKeys": ("Keys", 100, 1000), "ListAliases": ("Aliases", 50, 100), "ListUsers": ("Users", 100, 1000),
    # Its four lists are paged as one sequence, in this order.
    "GetAccountAuthorizationDetails": (("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"), 100, 1000),
}
# IAM calls moto does not implement (it answers HTTP 500, which the SDK retries for ~1 s), answered
# the way AWS answers for a user that has none.
MOTO_GAPS = {
    "ListServiceSpecificCredentials": (
        f'<ListServiceSpecificCredentialsResponse xmlns="{QUERY_XMLNS["iam"]}">'
        "<ListServiceSpecificCredentialsResult><ServiceSpecificCredentials/></ListServiceSpecificCredentialsResult>"
        "<ResponseMetadata><RequestId>00000000-emulator</RequestId></ResponseMetadata>"
        "</ListServiceSpecificCredentialsResponse>"
    ),
}
ISSUED_KEY = re.compile(rb"<AccessKeyId>([A-Z0-9]+)</AccessKeyId>")


def call_app(app, environ):
    """moto's whole answer as (status, headers, body), so the layer can look at or page it."""
    captured = {}

    def start(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, headers
        return lambda data: None

    result = app(environ, start)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return captured["status"], captured["headers"], body


def page(action, request, body, sizes):
    """One page of a list moto returned whole, with AWS's Marker/Limit/MaxItems semantics."""
    field, (default, maximum) = PAGED[action][0], sizes
    if action in ("ListUsers", "GetAccountAuthorizationDetails"):
        form = dict(p.split("=", 1) for p in request.decode("utf-8", "replace").split("&") if "=" in p)
        start, size = int(form.get("Marker") or 0), min(int(form.get("MaxItems") or default), maximum)
        ns = QUERY_XMLNS["iam"]
        ET.register_namespace("", ns)
        root = ET.fromstring(body)
        result = root.find(f"{{{ns}}}{action}Result")
        fields = (field,) if isinstance(field, str) else field
        members = []
        for name in fields:
            listed = result.find(f"{{{ns}}}{name}")
            if listed is not None:
                members += [(listed, member) for member in list(listed)]
        for listed, member in members[:start] + members[start + size:]:
            listed.remove(member)
        more = start + size < len(members)
        truncated = result.find(f"{{{ns}}}IsTruncated")
        if truncated is None:
            truncated = ET.SubElement(result, f"{{{ns}}}IsTruncated")
        truncated.text = "true" if more else "false"
        if more:
            ET.SubElement(result, f"{{{ns}}}Marker").text = str(start + size)
        return ET.tostring(root)
    asked = json.loads(request or b"{}")
    start, size = int(asked.get("Marker") or 0), min(int(asked.get("Limit") or default), maximum)
    reply = json.loads(body)
    items = reply.get(field, [])
    reply[field] = items[start:start + size]
    more = start + size < len(items)
    reply["Truncated"] = more
    reply.pop("NextMarker", None)
    if more:
        reply["NextMarker"] = str(start + size)
    return json.dumps(reply).encode()


def seed(spec):
    """Fills the account in-process: `users` plain users (path "/", optional `userTags`), `keys`
    symmetric keys each with an alias, `movePaths` {user: path} for setups made before the app
    had its own IAM path, `agePrincipals` {user or role name: days} and `ageKmsKeys` {key id: days}
    for what was made long ago, and `ageKeys` {access key id: {createdDaysAgo, lastUsedDaysAgo}}."""
    from moto.iam.models import iam_backends
    from moto.kms.models import kms_backends

    account, region = spec.get("account", "123456789012"), spec.get("region", "us-east-1")
    iam = iam_backends[account]["aws"]
    tags = [{"Key": k, "Value": v} for k, v in spec.get("userTags", {}).items()]
    prefix = spec.get("userPrefix", "other-user-")
    for i in range(spec.get("users", 0)):
        iam.create_user(region, f"{prefix}{i:05d}", "/", list(tags))
    kms = kms_backends[account][region]
    prefix = spec.get("keyPrefix", "other-key-")
    # moto makes an RSA key pair for every key, symmetric ones too (80 ms each); seeded keys never
    # sign, so they share one.
    import moto.kms.models as kms_models

    original = kms_models.generate_private_key
    shared = original("SYMMETRIC_DEFAULT")
    kms_models.generate_private_key = lambda key_spec: shared
    try:
        for i in range(spec.get("keys", 0)):
            key = kms.create_key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", f"seeded key {i}", None)
            kms.create_alias(key.id, f"alias/{prefix}{i:05d}")
    finally:
        kms_models.generate_private_key = original
    for name, path in spec.get("movePaths", {}).items():
        # moto files tags under the ARN, which holds the path: carry them over.
        user = iam.get_user(name)
        tags = iam.tagger.list_tags_for_resource(user.arn)["Tags"]
        iam.tagger.delete_all_tags_for_resource(user.arn)
        user.path = path
        iam.tagger.tag_resource(user.arn, tags)
    from datetime import timedelta

    from moto.core.utils import utcnow

    for name, days in spec.get("agePrincipals", {}).items():
        # Users and roles as old as real accounts have them (IAM's CreateDate cannot be changed
        # through the API): a colleague's user made long ago, or a setup made before the app's path.
        principal = iam.users.get(name) or iam.get_role(name)
        principal.create_date = utcnow() - timedelta(days=days)
    for key_id, days in spec.get("ageKmsKeys", {}).items():
        # A KMS key made N days ago (CreationDate, unix seconds in moto).
        kms.keys[key_id].creation_date -= days * 86400
    for key_id, age in spec.get("ageKeys", {}).items():
        # Keys as old as real accounts have them: made N days ago, last used M days ago (or never).
        from moto.iam.models import AccessKeyLastUsed

        key = next(k for u in iam.users.values() for k in u.access_keys if k.access_key_id == key_id)
        key.create_date = utcnow() - timedelta(days=age["createdDaysAgo"])
        used = age.get("lastUsedDaysAgo")
        key.last_used = None if used is None else AccessKeyLastUsed(utcnow() - timedelta(days=used), "kms", region)
    return {"users": len(iam.users), "keys": len(kms.keys)}


class PodIdentity:
    """EKS Pod Identity, which moto lacks: the association API (REST-JSON, under
    /clusters/NAME/pod-identity-associations) for clusters moto knows, and the agent's container
    credentials endpoint (GET /_pod-identity/credentials, Authorization: CLUSTER/NAMESPACE/ACCOUNT
    standing in for the pod's projected token), which assumes the bound role through moto's STS."""

    PATH = re.compile(r"^/clusters/([^/]+)/pod-identity-associations(?:/([^/]+))?$")

    def __init__(self):
        self.lock = threading.Lock()
        self.associations = {}  # id -> association dict (with clusterName)

    @staticmethod
    def action(method, association_id):
        if association_id is None:
            return "CreatePodIdentityAssociation" if method == "POST" else "ListPodIdentityAssociations"
        return {"DELETE": "DeletePodIdentityAssociation"}.get(method, "DescribePodIdentityAssociation")

    @staticmethod
    def cluster_known(name, account="123456789012", region="us-east-1"):
        from moto.eks.models import eks_backends

        return name in eks_backends[account][region].clusters

    def handle(self, environ, start_response, match):
        from urllib.parse import parse_qs

        cluster, association_id = match.group(1), match.group(2)
        method = environ["REQUEST_METHOD"]
        if not self.cluster_known(cluster):
            return json_reply(start_response, 404, {"message": f"No cluster found for name: {cluster}."}, "ResourceNotFoundException")
        with self.lock:
            if method == "POST" and association_id is None:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = json.loads(environ["wsgi.input"].read(length) or b"{}")
                return self.create(start_response, cluster, body)
            if method == "GET" and association_id is None:
                query = parse_qs(environ.get("QUERY_STRING", ""))
                wanted = {k: query[k][0] for k in ("namespace", "serviceAccount") if k in query}
                found = [
                    {k: a[k] for k in ("clusterName", "namespace", "serviceAccount", "associationArn", "associationId", "ownerArn") if k in a}
                    for a in self.associations.values()
                    if a["clusterName"] == cluster and all(a[k] == v for k, v in wanted.items())
                ]
                return json_reply(start_response, 200, {"associations": found})
            association = self.associations.get(association_id)
            if association is None or association["clusterName"] != cluster:
                return json_reply(start_response, 404, {"message": f"Association {association_id} not found."}, "ResourceNotFoundException")
            if method == "DELETE":
                del self.associations[association_id]
            return json_reply(start_response, 200, {"association": association})

    def create(self, start_response, cluster, body):
        for a in self.associations.values():
            if a["clusterName"] == cluster and (a["namespace"], a["serviceAccount"]) == (body.get("namespace"), body.get("serviceAccount")):
                return json_reply(start_response, 409, {"message": "Association already exists"}, "ResourceInUseException")
        association_id = "a-" + "".join(f"{b:02x}" for b in struct.pack("d", time.time()))[:17]
        association = {
            "clusterName": cluster,
            "namespace": body.get("namespace"),
            "serviceAccount": body.get("serviceAccount"),
            "roleArn": body.get("roleArn"),
            "associationArn": f"arn:aws:eks:us-east-1:123456789012:podidentityassociation/{cluster}/{association_id}",
            "associationId": association_id,
            "tags": body.get("tags") or {},
            "createdAt": time.time(),
            "modifiedAt": time.time(),
        }
        self.associations[association_id] = association
        return json_reply(start_response, 200, {"association": association})

    def credentials(self, environ, start_response):
        from moto.sts.models import sts_backends

        token = environ.get("HTTP_AUTHORIZATION", "")
        cluster, _, account = token.partition("/")
        namespace, _, service_account = account.partition("/")
        with self.lock:
            bound = next((a for a in self.associations.values() if (a["clusterName"], a["namespace"], a["serviceAccount"]) == (cluster, namespace, service_account)), None)
        if bound is None:
            return json_reply(start_response, 403, {"message": "no association for this service account"})
        role = sts_backends["123456789012"]["global"].assume_role("us-east-1", "eks-pod-identity", bound["roleArn"], None, 3600, None)
        return json_reply(start_response, 200, {
            "AccessKeyId": role.access_key_id,
            "SecretAccessKey": role.secret_access_key,
            "Token": role.session_token,
            "Expiration": role.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
        })


POD_IDENTITY = PodIdentity()


class CrossAccountKms:
    """KMS calls on another account's key, which moto lacks: AWS serves a call whose KeyId is a
    key ARN of another account (and a Decrypt of such a key's ciphertext) from the key's account,
    if the key policy allows the caller's principal (an assumed-role session counts as its role)
    the action and the caller's own IAM policies allow it on the key. Only the actions AWS allows
    across accounts; moto is pointed at the key's account with its x-moto-account-id header."""

    ACTIONS = ("Encrypt", "Decrypt", "DescribeKey", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GetKeyRotationStatus", "ReEncrypt")
    KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key/(.+)$")

    @classmethod
    def route(cls, environ, action, access_key, region, body):
        """None to let the call through (re-addressed when it crosses accounts), or why AWS refuses it."""
        from moto.iam.models import get_account_id_from

        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return None
        caller_account = get_account_id_from(access_key)
        key_account, key_arn = cls.key_of(request, region, caller_account)
        if key_account is None or key_account == caller_account:
            return None
        principal, entity = cls.caller(caller_account, access_key)
        who = cls.session_arn(caller_account, access_key) or principal or f"an unknown caller of account {caller_account}"
        denied = (
            f"User: {who} is not authorized to perform: kms:{action} on resource: {key_arn} "
        )
        if principal is None:
            return denied + "because no identity-based policy allows the kms:" + action + " action"
        if not cls.key_policy_allows(key_account, region, key_arn, principal, caller_account, action):
            return denied + "because no resource-based policy allows the kms:" + action + " action"
        if not cls.identity_allows(caller_account, entity, action, key_arn):
            return denied + "because no identity-based policy allows the kms:" + action + " action"
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = key_account
        return None

    @classmethod
    def key_of(cls, request, region, caller_account):
        """(account, key ARN) of the key a request names; (None, None) when it is the caller's own."""
        import base64

        from moto.kms.models import kms_backends

        key_id = request.get("KeyId") or request.get("DestinationKeyId")
        if isinstance(key_id, str):
            match = cls.KEY_ARN.match(key_id)
            if match:
                return match.group(2), key_id
            return None, None
        blob = request.get("CiphertextBlob")
        if not isinstance(blob, str):
            return None, None
        try:
            from moto.kms.utils import _deserialize_ciphertext_blob

            inner = _deserialize_ciphertext_blob(base64.b64decode(blob)).key_id
        except Exception:
            return None, None
        if inner in kms_backends[caller_account][region].keys:
            return None, None
        for account in list(kms_backends.keys()):
            key = kms_backends[account][region].keys.get(inner)
            if key is not None:
                return account, key.arn
        return None, None

    @staticmethod
    def session_arn(account, access_key):
        """The assumed-role ARN AWS names in a refusal of a role session, if it is one."""
        from moto.sts.models import sts_backends

        try:
            session = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key)
        except Exception:
            return None
        return session.arn if session is not None else None

    @staticmethod
    def caller(account, access_key):
        """(principal ARN, IAM entity) of an access key: a user, or the role of a role session."""
        from moto.iam.models import iam_backends

        iam = iam_backends[account]["aws"]
        key = iam.access_keys.get(access_key)
        if key is None:
            return None, None
        try:
            if key.role_arn:
                return key.role_arn, iam.get_role_by_arn(key.role_arn)
            if key.user_name:
                user = iam.get_user(key.user_name)
                return user.arn, user
        except Exception:
            return None, None
        return None, None

    @staticmethod
    def listed(value):
        return [value] if isinstance(value, str) else list(value or [])

    @classmethod
    def grants(cls, statement, action):
        import fnmatch

        return any(fnmatch.fnmatchcase(f"kms:{action}".lower(), a.lower()) for a in cls.listed(statement.get("Action")))

    @classmethod
    def key_policy_allows(cls, account, region, key_arn, principal, caller_account, action):
        from moto.kms.models import kms_backends

        key = kms_backends[account][region].keys.get(key_arn.rsplit("/", 1)[-1])
        if key is None:
            return False
        try:
            statements = cls.listed(json.loads(key.policy).get("Statement"))
        except (ValueError, AttributeError):
            return False
        named = {principal, f"arn:aws:iam::{caller_account}:root", caller_account, "*"}

        def names_caller(statement):
            who = statement.get("Principal")
            if who == "*":
                return True
            return isinstance(who, dict) and bool(named & set(cls.listed(who.get("AWS"))))

        matching = [s for s in statements if isinstance(s, dict) and names_caller(s) and cls.grants(s, action)]
        if any(s.get("Effect") == "Deny" for s in matching):
            return False
        return any(s.get("Effect") == "Allow" for s in matching)

    @classmethod
    def identity_allows(cls, account, entity, action, key_arn):
        import fnmatch

        from moto.iam.models import iam_backends

        documents = list(entity.policies.values())
        documents += [v.document for p in entity.managed_policies.values() for v in p.versions if v.is_default]
        if hasattr(entity, "access_keys"):  # a user: its groups' policies too
            for group in iam_backends[account]["aws"].get_groups_for_user(entity.name):
                documents += list(group.policies.values())
                documents += [v.document for p in group.managed_policies.values() for v in p.versions if v.is_default]
        statements = []
        for document in documents:
            try:
                parsed = json.loads(document) if isinstance(document, str) else document
            except ValueError:
                parsed = json.loads(urllib.parse.unquote(document))
            statements += [s for s in cls.listed(parsed.get("Statement")) if isinstance(s, dict)]
        matching = [
            s for s in statements
            if cls.grants(s, action) and any(fnmatch.fnmatchcase(key_arn, r) for r in cls.listed(s.get("Resource")))
        ]
        if any(s.get("Effect") == "Deny" for s in matching):
            return False
        return any(s.get("Effect") == "Allow" for s in matching)


def json_reply(start_response, status, payload, error_type=None):
    body = json.dumps(payload).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    start_response(f"{status} {'OK' if status == 200 else 'Error'}", headers)
    return [body]


class CredentialReport:
    """IAM's credential report, kept four hours as AWS keeps it (see the module's docstring)."""

    MAX_AGE = 4 * 3600
    COLUMNS = (
        "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
        "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
        "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
        "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
        "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
        "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
    )

    def __init__(self):
        self.lock = threading.Lock()
        self.snapshot = None  # (csv bytes, unix time taken)

    def drop(self):
        with self.lock:
            self.snapshot = None

    @staticmethod
    def when(moment):
        return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00") if moment is not None else "N/A"

    def take(self, account="123456789012"):
        from moto.iam.models import iam_backends

        iam = iam_backends[account]["aws"]
        lines = [self.COLUMNS]
        for user in list(iam.users.values()):
            keys = list(user.access_keys)[:2]
            certificates = list(user.signing_certificates.values())[:2]
            cells = [user.name, user.arn, self.when(user.create_date), "true" if user.password else "false",
                     "no_information" if user.password else "N/A", "N/A", "N/A",
                     "true" if user.mfa_devices else "false"]
            for n in range(2):
                key = keys[n] if n < len(keys) else None
                used = getattr(key, "last_used", None)
                cells += [
                    "true" if key is not None and key.status == "Active" else "false",
                    self.when(key.create_date) if key is not None else "N/A",
                    self.when(getattr(used, "timestamp", used)) if used is not None else "N/A",
                    getattr(used, "region", "N/A") if used is not None else "N/A",
                    getattr(used, "service", "N/A") if used is not None else "N/A",
                ]
            for n in range(2):
                cert = certificates[n] if n < len(certificates) else None
                cells += ["true" if cert is not None and cert.status == "Active" else "false",
                          self.when(cert.upload_date) if cert is not None else "N/A"]
            lines.append(",".join(cells))
        return ("\n".join(lines) + "\n").encode()

    def generate(self):
        """(state, description) as GenerateCredentialReport answers."""
        with self.lock:
            now = time.time()
            if self.snapshot is not None and now - self.snapshot[1] < self.MAX_AGE:
                return "COMPLETE", ""
            first = self.snapshot is None
            self.snapshot = (self.take(), now)
        return ("STARTED", "No report exists. Starting a new report generation task") if first else ("STARTED", "")

    def reply(self, action, start_response):
        ns = QUERY_XMLNS["iam"]
        if action == "GenerateCredentialReport":
            state, description = self.generate()
            inner = f"<State>{state}</State><Description>{description}</Description>"
        else:
            with self.lock:
                snapshot = self.snapshot
            if snapshot is None:
                return error_response("iam", 410, "ReportNotPresent", "Credential report not present", start_response)
            import base64

            taken = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(snapshot[1]))
            inner = (f"<Content>{base64.b64encode(snapshot[0]).decode()}</Content><ReportFormat>text/csv</ReportFormat>"
                     f"<GeneratedTime>{taken}</GeneratedTime>")
        body = (f'<{action}Response xmlns="{ns}"><{action}Result>{inner}</{action}Result>'
                f"<ResponseMetadata><RequestId>00000000-emulator</RequestId></ResponseMetadata></{action}Response>").encode()
        start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
        return [body]


CREDENTIAL_REPORT = CredentialReport()

class UserBoundaries:
    """Users' permissions boundaries (moto keeps them for roles only), by user name."""

    def __init__(self):
        self.lock = threading.Lock()
        self.arns = {}

    def change(self, action, form, start_response):
        user = urllib.parse.unquote_plus(form.get("UserName", ""))
        from moto.iam.models import iam_backends

        if user not in iam_backends["123456789012"]["aws"].users:
            return error_response("iam", 404, "NoSuchEntity", f"The user with name {user} cannot be found.", start_response)
        with self.lock:
            if action == "PutUserPermissionsBoundary":
                self.arns[user] = urllib.parse.unquote_plus(form.get("PermissionsBoundary", ""))
            else:
                self.arns.pop(user, None)
        body = (f'<{action}Response xmlns="{QUERY_XMLNS["iam"]}"><ResponseMetadata><RequestId>00000000-emulator'
                f"</RequestId></ResponseMetadata></{action}Response>").encode()
        start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
        return [body]

    def shown(self, action, reply):
        """moto's GetUser or GetAccountAuthorizationDetails reply with the users' boundaries."""
        with self.lock:
            arns = dict(self.arns)
        if not arns:
            return reply
        ns = QUERY_XMLNS["iam"]
        ET.register_namespace("", ns)
        root = ET.fromstring(reply)
        members = root.iter(f"{{{ns}}}User") if action == "GetUser" else (
            m for listed in root.iter(f"{{{ns}}}UserDetailList") for m in listed)
        for member in members:
            name = member.findtext(f"{{{ns}}}UserName")
            if name in arns and member.find(f"{{{ns}}}PermissionsBoundary") is None:
                boundary = ET.SubElement(member, f"{{{ns}}}PermissionsBoundary")
                ET.SubElement(boundary, f"{{{ns}}}PermissionsBoundaryType").text = "PermissionsBoundaryPolicy"
                ET.SubElement(boundary, f"{{{ns}}}PermissionsBoundaryArn").text = arns[name]
        return ET.tostring(root)


USER_BOUNDARIES = UserBoundaries()


def error_response(service, status, code, message, start_response):
    if service in QUERY_XMLNS:
        body = (
            f'<ErrorResponse xmlns="{QUERY_XMLNS[service]}"><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>00000000-fault-injected</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    else:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    headers.append(("Content-Length", str(len(body))))
    start_response(f"{status} Fault", headers)
    return [body]


def reset_connection(environ):
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        # SO_LINGER with a zero timeout makes close() send RST: the client sees "connection reset".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()


class FaultLayer:
    def __init__(self, app):
        self.app = app
        self.faults = Faults()

    def pod_identity(self, environ, start_response, match):
        """The association API with the same faults as any other call (named by EKS's action),
        so a test can lose a reply or hold a call and kill the client meanwhile."""
        action = PodIdentity.action(environ["REQUEST_METHOD"], match.group(2))
        found = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        access_key = found.group(1) if found else ""
        entry = self.faults.record("eks", action, access_key)
        rule = self.faults.take("eks", action, access_key)
        kind = rule.get("kind", "error") if rule is not None else None
        if kind == "lost":
            time.sleep(rule.get("seconds", 0))
            call_app(lambda e, s: POD_IDENTITY.handle(e, s, match), environ)
            reset_connection(environ)
            return []
        if kind == "stall":
            time.sleep(rule.get("seconds", 30))
            return error_response("eks", 503, "ServiceUnavailable", "stalled by the test emulator", start_response)
        if kind == "error":
            return error_response("eks", rule.get("status", 400), rule.get("code", "InternalFailure"), rule.get("message", "Injected by the test emulator"), start_response)
        response = POD_IDENTITY.handle(environ, start_response, match)
        entry["end"] = time.perf_counter()
        return response

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_faults") or path.startswith("/_requests"):
            return self.control(environ, start_response)
        if path.startswith("/_credential-report"):
            CREDENTIAL_REPORT.drop()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
            return [b"{}"]
        pod_identity = PodIdentity.PATH.match(path)
        if pod_identity:
            return self.pod_identity(environ, start_response, pod_identity)
        if path.startswith("/_pod-identity/credentials"):
            return POD_IDENTITY.credentials(environ, start_response)
        if path.startswith("/_seed"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.dumps(seed(json.loads(environ["wsgi.input"].read(length) or b"{}"))).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        service, access_key = "", ""
        match = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        region = "us-east-1"
        if match:
            access_key, region, service = match.group(1), match.group(2), match.group(3)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            action = target.rsplit(".", 1)[-1]
        else:
            form = dict(p.split("=", 1) for p in body.decode("utf-8", "replace").split("&") if "=" in p)
            action = form.get("Action", "")
        entry = None
        if action:
            entry = self.faults.record(service, action, access_key, resource_params(body, target))
            held = self.faults.latency()
            if held > 0:
                time.sleep(held)
            standing = self.faults.propagating(service, action, access_key)
            if standing is not None:
                return error_response(service, standing.get("status", 403), standing.get("code", "AccessDenied"), standing.get("message", "not live yet (emulated propagation)"), start_response)
            rule = self.faults.take(service, action, access_key, body)
            if rule is not None:
                kind = rule.get("kind", "error")
                if kind == "reset":
                    reset_connection(environ)
                    return []
                if kind == "lost":
                    # AWS did the work, then the reply never arrived: the case a blind retry turns
                    # into a second key or user. `seconds` holds the call first (network latency),
                    # long enough for a test to act as an attacker would meanwhile.
                    time.sleep(rule.get("seconds", 0))
                    call_app(self.app, environ)
                    reset_connection(environ)
                    return []
                if kind == "delay":
                    time.sleep(rule.get("seconds", 1))
                elif kind == "stall":
                    # Holds the call without ever passing it on: the client can be killed mid-call
                    # and the call will not happen later behind the test's back.
                    time.sleep(rule.get("seconds", 30))
                    return error_response(service, 503, "ServiceUnavailable", "stalled by the test emulator", start_response)
                else:
                    return error_response(
                        service,
                        rule.get("status", 400),
                        rule.get("code", "InternalFailure"),
                        rule.get("message", "Injected by the test emulator"),
                        start_response,
                    )
        if service == "iam" and action in ("GenerateCredentialReport", "GetCredentialReport"):
            response = CREDENTIAL_REPORT.reply(action, start_response)
            if entry is not None:
                entry["end"] = time.perf_counter()
            return response
        if service == "iam" and action in ("PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary"):
            form = dict(p.split("=", 1) for p in body.decode("utf-8", "replace").split("&") if "=" in p)
            response = USER_BOUNDARIES.change(action, form, start_response)
            if entry is not None:
                entry["end"] = time.perf_counter()
            return response
        if service == "kms" and action in CrossAccountKms.ACTIONS:
            refused = CrossAccountKms.route(environ, action, access_key, region, body)
            if refused is not None:
                if entry is not None:
                    entry["end"] = time.perf_counter()
                return error_response("kms", 400, "AccessDeniedException", refused, start_response)
        if service == "iam" and action in MOTO_GAPS:
            body = MOTO_GAPS[action].encode()
            start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
            if entry is not None:
                entry["end"] = time.perf_counter()
            return [body]
        sizes = self.faults.page_size(action) if action else None
        bounded = service == "iam" and action in ("GetUser", "GetAccountAuthorizationDetails")
        if action in ("CreateAccessKey", "AssumeRole") or sizes is not None or bounded:
            status, headers, reply = call_app(self.app, environ)
            if bounded and status.startswith("200"):
                reply = USER_BOUNDARIES.shown(action, reply)
            if action in ("CreateAccessKey", "AssumeRole") and status.startswith("200"):
                issued = ISSUED_KEY.search(reply)
                if issued:
                    with self.faults.lock:
                        self.faults.issued[issued.group(1).decode()] = time.perf_counter()
            if sizes is not None and status.startswith("200"):
                reply = page(action, body, reply, sizes)
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            start_response(status, headers + [("Content-Length", str(len(reply)))])
            response = [reply]
        else:
            response = self.app(environ, start_response)
        if entry is not None:
            # moto answers with a finished body: this is the emulator's own time for the call.
            entry["end"] = time.perf_counter()
        return response

    def control(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ["PATH_INFO"]
        if path.startswith("/_requests"):
            with self.faults.lock:
                if method == "DELETE":
                    self.faults.requests.clear()
                payload = list(self.faults.requests)
        else:
            with self.faults.lock:
                if method == "POST":
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                    self.faults.rules.append(json.loads(environ["wsgi.input"].read(length)))
                elif method == "DELETE":
                    self.faults.rules.clear()
                payload = list(self.faults.rules)
        body = json.dumps(payload).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


from werkzeug.serving import WSGIRequestHandler


class Handler(WSGIRequestHandler):
    # Without it a Nagle/delayed-ACK stall adds ~40 ms to some replies: latency would be measured wrong.
    disable_nagle_algorithm = True


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    app = FaultLayer(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=Handler)
    print(f"READY http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    main()
