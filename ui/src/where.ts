// "Where does your application run?": the one question that decides between an IAM user and an
// IAM role, and for a role whom it trusts. The answers are in an admin's words; the engine's trust
// kinds (the CLI's --trust values) are only what they map to.

export type Where = "ec2" | "ecs-tasks" | "lambda" | "eks" | "github" | "oidc" | "arn" | "outside";
export type EksMode = "irsa" | "pod-identity";
export type Principal = "user" | "role";

export interface WhereChoice {
  value: Where;
  label: string;
  help: string;
}

/** Said once above the answers: what every answer on AWS has in common. */
export const WHERE_HELP =
  "On AWS your application gets an IAM role (recommended): the platform hands it temporary credentials, so there is no key to store or rotate. Outside AWS it gets an IAM user with an access key.";

export const WHERE: readonly WhereChoice[] = [
  { value: "ec2", label: "On EC2 instances", help: "An instance profile is made for the instances." },
  { value: "ecs-tasks", label: "In ECS tasks", help: "You set the role as the task role." },
  { value: "lambda", label: "In Lambda functions", help: "You set the role as the execution role." },
  { value: "eks", label: "In an EKS cluster", help: "One Kubernetes service account may use the role." },
  { value: "github", label: "In GitHub Actions", help: "Only one environment or one branch of one repository may use the role." },
  { value: "oidc", label: "In another CI or Kubernetes with OIDC", help: "GitLab, a self-managed Kubernetes cluster or any OIDC issuer, with one exact subject." },
  { value: "arn", label: "In another AWS account or as another role (ARN)", help: "Only the principal you name may assume the role." },
  {
    value: "outside",
    label: "Outside AWS (a data centre, another cloud, a laptop)",
    help: "An IAM user with an access key, stored in your keychain. The Done screen shows how to hand it to the application.",
  },
];

export const EKS_MODES: readonly { value: EksMode; label: string; help: string }[] = [
  { value: "irsa", label: "IAM roles for service accounts (IRSA)", help: "Works with every MongoDB driver. The cluster's OIDC provider is added to IAM if it is missing." },
  { value: "pod-identity", label: "EKS Pod Identity", help: "Not for the Go, C or PHP drivers: they cannot read Pod Identity's credentials yet. Choose IRSA for them." },
];

/** An IAM user only outside AWS; everywhere else a role the platform hands credentials for. */
export function principalFor(where: Where): Principal {
  return where === "outside" ? "user" : "role";
}

/** The engine's trust kind for a role (the CLI's --trust prefix); null for a user. */
export function trustKindFor(where: Where, eksMode: EksMode): string | null {
  if (where === "outside") return null;
  if (where === "eks") return eksMode === "pod-identity" ? "eks-pod-identity" : "eks";
  return where;
}

/** The trusts that need text, what the field asks for, and the prefix the engine reads. */
export const TRUST_TEXT: Record<string, { label: string; placeholder: string; help: string; prefix: string }> = {
  arn: {
    label: "Principal ARN or account id",
    placeholder: "arn:aws:iam::111122223333:role/app",
    help: "The role, user or account that will call sts:AssumeRole for the application.",
    prefix: "",
  },
  eks: {
    label: "Cluster, namespace and service account",
    placeholder: "prod-cluster:payments/api-server",
    help: "CLUSTER:NAMESPACE/SERVICEACCOUNT, exactly as in the cluster. Pods running as that service account get the role.",
    prefix: "eks:",
  },
  "eks-pod-identity": {
    label: "Cluster, namespace and service account",
    placeholder: "prod-cluster:payments/api-server",
    help: "CLUSTER:NAMESPACE/SERVICEACCOUNT, exactly as in the cluster. The setup binds that service account to the role.",
    prefix: "eks-pod-identity:",
  },
  github: {
    label: "Repository and environment (or branch)",
    placeholder: "acme/payments:environment:production",
    help: "OWNER/REPO:environment:NAME, or OWNER/REPO:ref:refs/heads/BRANCH. A whole repository is refused.",
    prefix: "github:",
  },
  oidc: {
    label: "Issuer URL and the exact subject",
    placeholder: "https://gitlab.example.com::project_path:group/app:ref_type:branch:ref:main",
    help: "ISSUER_URL::SUBJECT: the issuer's https address, two colons, then the token's exact sub claim.",
    prefix: "oidc:",
  },
};

/** The trust as the engine reads it: a service name, or a typed value with its prefix. */
export function trustValue(trust: string, typed: string): string {
  const text = TRUST_TEXT[trust];
  return text ? `${text.prefix}${typed.trim()}` : trust;
}

/** The label of an answer, for sentences such as "Your application runs in ECS tasks". */
export function whereLabel(where: Where): string {
  return WHERE.find((choice) => choice.value === where)?.label ?? where;
}
