//! Reading a web-identity trust (GitHub Actions, another OIDC issuer) from what the admin typed,
//! by the issuers' own rules, before anything is asked of AWS. A trust that would let every branch,
//! pull request or subject of an issuer assume the role is refused, not widened.

use crate::validate::{Field, InputError};

/// The OIDC issuer of GitHub Actions, as IAM names its provider.
pub const GITHUB_ISSUER: &str = "token.actions.githubusercontent.com";
/// The audience every issuer's token must carry for STS (`aud`), and the provider's client id.
pub const STS_AUDIENCE: &str = "sts.amazonaws.com";

fn invalid(rule: impl Into<String>) -> InputError {
    InputError {
        field: Field::Trust,
        rule: rule.into(),
    }
}

const GITHUB_FORMS: &str = "github:OWNER/REPO:environment:NAME (a deployment environment) or \
     github:OWNER/REPO:ref:refs/heads/BRANCH (one branch)";

/// A web-identity trust as typed: who issues the token, the one subject it may carry, and where
/// the tokens come from in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebIdentity {
    pub issuer: String,
    pub subject: String,
    pub source: String,
}

/// `github:OWNER/REPO:environment:NAME`, `github:OWNER/REPO:ref:refs/heads/BRANCH` (or a tag ref),
/// or `oidc:https://ISSUER::SUBJECT`.
pub fn parse(value: &str) -> Result<WebIdentity, InputError> {
    if let Some(rest) = value.strip_prefix("github:") {
        return github(rest);
    }
    if let Some(rest) = value.strip_prefix("oidc:") {
        return other_issuer(rest);
    }
    Err(invalid(format!(
        "enter {GITHUB_FORMS}, or oidc:https://ISSUER::SUBJECT"
    )))
}

fn github(rest: &str) -> Result<WebIdentity, InputError> {
    let mut parts = rest.splitn(3, ':');
    let repo = parts.next().unwrap_or_default();
    let (kind, value) = (parts.next(), parts.next());
    check_repo(repo)?;
    let subject = match (kind, value) {
        (Some("environment"), Some(name)) if valid_environment(name) => {
            format!("repo:{repo}:environment:{name}")
        }
        (Some("ref"), Some(reference))
            if (reference.starts_with("refs/heads/") || reference.starts_with("refs/tags/"))
                && valid_ref(reference) =>
        {
            format!("repo:{repo}:ref:{reference}")
        }
        (None, _) => {
            return Err(invalid(format!(
                "github:{repo} alone would let every branch and pull request of {repo} assume the \
                 role; use {GITHUB_FORMS}"
            )))
        }
        _ => return Err(invalid(format!("use {GITHUB_FORMS}"))),
    };
    Ok(WebIdentity {
        issuer: GITHUB_ISSUER.into(),
        subject,
        source: "GitHub Actions".into(),
    })
}

/// GitHub's rules: an owner of letters, digits and single hyphens (at most 39), a repository of
/// letters, digits, `-`, `_` and `.` (at most 100).
fn check_repo(repo: &str) -> Result<(), InputError> {
    let Some((owner, name)) = repo.split_once('/') else {
        return Err(invalid(format!(
            "name the repository as OWNER/REPO; use {GITHUB_FORMS}"
        )));
    };
    let owner_ok = (1..=39).contains(&owner.len())
        && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !owner.starts_with('-')
        && !owner.ends_with('-')
        && !owner.contains("--");
    let name_ok = (1..=100).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name != "."
        && name != "..";
    if owner_ok && name_ok {
        Ok(())
    } else {
        Err(invalid(format!("{repo} is not a GitHub OWNER/REPO")))
    }
}

fn valid_environment(name: &str) -> bool {
    // GitHub allows up to 255 characters; the wildcard and separators of IAM's own matching
    // would widen the trust, so they are refused.
    (1..=255).contains(&name.len()) && !name.contains(['*', '?', ':']) && !name.trim().is_empty()
}

fn valid_ref(reference: &str) -> bool {
    let tail = reference.splitn(3, '/').nth(2).unwrap_or_default();
    !tail.is_empty()
        && reference.len() <= 255
        && !reference.contains(['*', '?', ' ', '~', '^', ':', '\\'])
        && !reference.contains("..")
}

/// An EKS cluster's service account (IRSA): the cluster's OIDC issuer is read from EKS at plan
/// time, the subject is fixed by Kubernetes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EksServiceAccount {
    pub cluster: String,
    pub namespace: String,
    pub service_account: String,
}

impl EksServiceAccount {
    /// The `sub` claim of the service account's projected token.
    pub fn subject(&self) -> String {
        format!(
            "system:serviceaccount:{}:{}",
            self.namespace, self.service_account
        )
    }

    /// The trust, once EKS has told the cluster's issuer (its `https://` URL).
    pub fn with_issuer(&self, issuer_url: &str) -> WebIdentity {
        WebIdentity {
            issuer: issuer_url
                .trim_start_matches("https://")
                .trim_end_matches('/')
                .to_string(),
            subject: self.subject(),
            source: format!(
                "EKS cluster {} (service account {}/{})",
                self.cluster, self.namespace, self.service_account
            ),
        }
    }
}

/// `CLUSTER:NAMESPACE/SERVICEACCOUNT`, by EKS's rule for cluster names (1–100 letters, digits,
/// `-`, `_`, starting with a letter or digit) and Kubernetes' for namespaces (a DNS label) and
/// service account names (a DNS subdomain).
pub fn parse_eks(rest: &str) -> Result<EksServiceAccount, InputError> {
    const FORM: &str = "use eks:CLUSTER:NAMESPACE/SERVICEACCOUNT";
    let Some((cluster, account)) = rest.split_once(':') else {
        return Err(invalid(FORM));
    };
    let Some((namespace, service_account)) = account.split_once('/') else {
        return Err(invalid(FORM));
    };
    let cluster_ok = (1..=100).contains(&cluster.len())
        && cluster.starts_with(|c: char| c.is_ascii_alphanumeric())
        && cluster
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if !cluster_ok {
        return Err(invalid(format!("{cluster} is not an EKS cluster name")));
    }
    if !dns_label(namespace) {
        return Err(invalid(format!(
            "{namespace} is not a Kubernetes namespace name"
        )));
    }
    let subdomain_ok = service_account.len() <= 253
        && !service_account.is_empty()
        && service_account.split('.').all(dns_label);
    if !subdomain_ok {
        return Err(invalid(format!(
            "{service_account} is not a Kubernetes service account name"
        )));
    }
    Ok(EksServiceAccount {
        cluster: cluster.to_string(),
        namespace: namespace.to_string(),
        service_account: service_account.to_string(),
    })
}

/// Kubernetes' DNS label: 1–63 lowercase letters, digits and `-`, not starting or ending with `-`.
fn dns_label(value: &str) -> bool {
    (1..=63).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !value.starts_with('-')
        && !value.ends_with('-')
}

/// The ServiceAccount manifest that lets pods of that account assume the role (IRSA).
pub fn service_account_manifest(namespace: &str, service_account: &str, role_arn: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {service_account}\n  namespace: {namespace}\n  annotations:\n    eks.amazonaws.com/role-arn: {role_arn}\n"
    )
}

/// What pods need for Pod Identity: to run as the service account (no annotation), on a cluster
/// with the EKS Pod Identity Agent add-on.
pub fn pod_identity_snippet(namespace: &str, service_account: &str) -> String {
    format!(
        "# The cluster needs the EKS Pod Identity Agent add-on (eks-pod-identity-agent).\n\
         apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {service_account}\n  namespace: {namespace}\n\
         ---\n# and in the pod spec of the application:\n#   serviceAccountName: {service_account}\n\
         # Drivers that read AWS_CONTAINER_CREDENTIALS_FULL_URI (Python, Node.js, Java, C#) work as is;\n\
         # Go, C and PHP cannot yet: give them an IRSA role (eks:CLUSTER:{namespace}/{service_account}).\n"
    )
}

/// `https://ISSUER[/PATH]::SUBJECT`: any other OIDC issuer (GitLab, a Kubernetes cluster outside
/// EKS) with the one subject it may present.
fn other_issuer(rest: &str) -> Result<WebIdentity, InputError> {
    let Some((url, subject)) = rest.split_once("::") else {
        return Err(invalid("use oidc:https://ISSUER::SUBJECT, the issuer's URL and the exact subject (sub) of the workload"));
    };
    let Some(issuer) = url.strip_prefix("https://") else {
        return Err(invalid(
            "the issuer must be an https:// URL (IAM accepts no other)",
        ));
    };
    let issuer = issuer.trim_end_matches('/');
    let host = issuer.split('/').next().unwrap_or_default();
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        && host.contains('.');
    if !host_ok || issuer.len() > 255 || issuer.contains(['?', '#', ' ']) {
        return Err(invalid(format!("{url} is not an issuer URL IAM accepts")));
    }
    if subject.is_empty() || subject.len() > 255 || subject.contains(['*', '?']) {
        return Err(invalid("give the exact subject (no wildcards): with StringEquals on sub, only that workload may assume the role"));
    }
    Ok(WebIdentity {
        issuer: issuer.to_string(),
        subject: subject.to_string(),
        source: format!("OIDC issuer {host}"),
    })
}

/// What the workload's own configuration needs to use the role, for the issuers the app knows:
/// for GitHub Actions the job's permission to ask for a token and the official action that trades
/// it for the role's credentials; for an EKS service account its annotated manifest.
pub fn workload_snippet(
    issuer: &str,
    subject: &str,
    role_arn: &str,
    region: &str,
) -> Option<String> {
    if let Some(account) = subject.strip_prefix("system:serviceaccount:") {
        let (namespace, name) = account.split_once(':')?;
        return Some(service_account_manifest(namespace, name, role_arn));
    }
    if issuer != GITHUB_ISSUER {
        return None;
    }
    let environment = subject
        .split_once(":environment:")
        .map(|(_, name)| format!("    environment: {name}\n"))
        .unwrap_or_default();
    let branch = subject
        .split_once(":ref:")
        .map(|(_, reference)| {
            format!("    # runs only on {reference}: the role trusts no other ref\n")
        })
        .unwrap_or_default();
    Some(format!(
        "permissions:\n  id-token: write   # lets the job ask GitHub for its OIDC token\n  contents: read\n\
         jobs:\n  csfle:\n    runs-on: ubuntu-latest\n{environment}{branch}    steps:\n\
         \x20     - uses: aws-actions/configure-aws-credentials@v4\n\
         \x20       with:\n\
         \x20         role-to-assume: {role_arn}\n\
         \x20         aws-region: {region}\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(value: &str) -> Result<String, String> {
        parse(value).map(|found| found.subject).map_err(|e| e.rule)
    }

    #[test]
    fn github_environments_and_branches_become_exact_subjects() {
        assert_eq!(
            subject("github:acme/payments:environment:production"),
            Ok("repo:acme/payments:environment:production".into())
        );
        assert_eq!(
            subject("github:acme/payments.api:ref:refs/heads/main"),
            Ok("repo:acme/payments.api:ref:refs/heads/main".into())
        );
    }

    #[test]
    fn a_whole_repository_or_a_wildcard_is_refused_with_the_two_forms() {
        let bare = subject("github:acme/payments").unwrap_err();
        assert!(bare.contains("every branch and pull request"), "{bare}");
        assert!(bare.contains("environment:NAME") && bare.contains("refs/heads/BRANCH"));
        assert!(subject("github:acme/payments:ref:refs/heads/*").is_err());
        assert!(subject("github:acme/payments:environment:prod*").is_err());
        assert!(subject("github:acme/payments:ref:main").is_err());
        assert!(subject("github:-acme/payments:environment:prod").is_err());
        assert!(subject("github:acme:environment:prod").is_err());
    }

    #[test]
    fn the_workflow_snippet_asks_for_the_token_and_names_the_role_and_environment() {
        let snippet = workload_snippet(
            GITHUB_ISSUER,
            "repo:acme/payments:environment:production",
            "arn:aws:iam::123456789012:role/csfle-provisioner/ci",
            "eu-west-1",
        )
        .unwrap();
        assert!(snippet.contains("id-token: write"), "{snippet}");
        assert!(snippet.contains("environment: production"), "{snippet}");
        assert!(
            snippet.contains("role-to-assume: arn:aws:iam::123456789012:role/csfle-provisioner/ci")
        );
        assert!(snippet.contains("aws-region: eu-west-1"));
        assert!(workload_snippet("gitlab.example.com", "x", "arn", "r").is_none());
    }

    #[test]
    fn an_eks_service_account_becomes_the_kubernetes_subject_on_the_clusters_issuer() {
        let account = parse_eks("prod-1:payments/api-server").unwrap();
        assert_eq!(
            account.subject(),
            "system:serviceaccount:payments:api-server"
        );
        let trust = account.with_issuer("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC123");
        assert_eq!(trust.issuer, "oidc.eks.eu-west-1.amazonaws.com/id/ABC123");
        assert!(
            parse_eks("prod-1:Payments/api").is_err(),
            "namespaces are lowercase"
        );
        assert!(parse_eks("prod-1:payments").is_err());
        assert!(parse_eks("-prod:payments/api").is_err());
        assert!(parse_eks("prod:payments/*").is_err());
        let manifest = workload_snippet(
            &trust.issuer,
            &trust.subject,
            "arn:aws:iam::1:role/r",
            "eu-west-1",
        )
        .unwrap();
        assert!(manifest.contains("eks.amazonaws.com/role-arn: arn:aws:iam::1:role/r"));
        assert!(manifest.contains("namespace: payments") && manifest.contains("name: api-server"));
    }

    #[test]
    fn another_issuer_needs_https_and_an_exact_subject() {
        let trust = parse(
            "oidc:https://gitlab.example.com::project_path:group/app:ref_type:branch:ref:main",
        )
        .unwrap();
        assert_eq!(
            trust,
            WebIdentity {
                issuer: "gitlab.example.com".into(),
                subject: "project_path:group/app:ref_type:branch:ref:main".into(),
                source: "OIDC issuer gitlab.example.com".into(),
            }
        );
        assert!(parse("oidc:http://gitlab.example.com::x").is_err());
        assert!(parse("oidc:https://gitlab.example.com::project_path:*").is_err());
        assert!(parse("oidc:https://gitlab.example.com").is_err());
    }
}
