//! AWS limits that only the resolved desired state can be checked against, because what they
//! measure depends on the partition and region: the size of the policies pipewright derives,
//! whose ARNs name both. The CLI checks them for the target region before any API call, and its
//! `synth` with the shortest partition and region names (what is over the limit then is over it in
//! every region).

use serde_json::Value;

use super::resolve::{Env, ResolvedApp, resolve};
use crate::model::{App, Desired, Encryption, ImageEncryption, KmsKeyArn, Node, ResourceKind};
use crate::provider::api::kind_word;
use crate::validate::Violation;

/// IAM's limit on the inline policies of one role, in characters, white space not counted.
pub const ROLE_POLICY_MAX: usize = 10_240;

/// The partition a region belongs to: `aws-cn` for `cn-…`, `aws-us-gov` for `us-gov-…`, the
/// isolated partitions for theirs, `aws` otherwise.
#[must_use]
pub fn partition_of(region: &str) -> &'static str {
    const PREFIXES: [(&str, &str); 7] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-isof-", "aws-iso-f"),
        ("eusc-", "aws-eusc"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |&(_, partition)| partition)
}

/// The size IAM gives a policy document: its characters, white space not counted.
#[must_use]
pub fn policy_chars(document: &Value) -> usize {
    document
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count()
}

/// Every role whose inline policies would be over [`ROLE_POLICY_MAX`], as a violation naming
/// the role, its size, and what uses it (what to split to make it smaller).
#[must_use]
pub fn check_limits(desired: &ResolvedApp) -> Vec<Violation> {
    let mut out = Vec::new();
    for r in &desired.resources {
        let role = &r.resource;
        if role.kind != ResourceKind::Role {
            continue;
        }
        let chars: usize = role.properties["Policies"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| policy_chars(&p["PolicyDocument"]))
            .sum();
        if chars <= ROLE_POLICY_MAX {
            continue;
        }
        // What runs as the role names its ARN, which ends in `:role<path>NAME`.
        let path = role.properties["Path"].as_str().unwrap_or("/");
        let arn_end = format!(":role{path}{}", role.physical_name);
        let users: Vec<String> = desired
            .resources
            .iter()
            .filter(|u| u.resource.kind != ResourceKind::Role)
            .filter(|u| mentions(&u.resource.properties, &arn_end))
            .map(|u| {
                format!(
                    "{} \"{}\"",
                    kind_word(u.resource.kind),
                    u.resource.physical_name
                )
            })
            .collect();
        let (users, verb, them) = match users.len() {
            0 => ("its resources".to_owned(), "use", "them"),
            1 => (users.join(""), "uses", "it"),
            _ => (users.join(", "), "use", "them"),
        };
        out.push(Violation {
            path: format!("role[{}].Policies", role.physical_name),
            value: format!("{chars} characters"),
            rule: format!(
                "a role's inline policies total at most {ROLE_POLICY_MAX} characters in IAM \
                 (white space not counted); this derived policy lists every resource {users} \
                 {verb}: split {them} so that fewer resources share one role"
            ),
        });
    }
    out
}

/// [`check_limits`] for an app not resolved yet, as it would be in `partition` and `region`:
/// what the limits measure depends on the account only by its id's length, always 12 digits, so
/// this runs before any call (a desired state that does not resolve has no violation here; the
/// resolve for the real account reports it).
#[must_use]
pub fn check_limits_in(desired: &Desired<'_>, partition: &str, region: &str) -> Vec<Violation> {
    let env = Env::new(partition, region, "000000000000");
    resolve(desired, &env)
        .map(|resolved| check_limits(&resolved))
        .unwrap_or_default()
}

/// The KMS keys of `app` that cannot serve it in `partition` and `region`, each with its path.
///
/// A key is regional and lives in one partition: ECR's key "must exist in the same Region as the
/// repository" (ECR API Reference, EncryptionConfiguration `kmsKey`), S3 takes only a key of the
/// bucket's Region ("the KMS key must be in the same Region as the bucket", Amazon S3 User Guide,
/// "Specifying server-side encryption with AWS KMS"), and an ARN of another partition names
/// nothing the account can reach. CodeCommit, CodeBuild and CloudWatch Logs encrypt in the
/// resource's own Region too, so every key is held to the same rule; the account may differ (a
/// cross-account key is allowed where its key policy says so).
#[must_use]
pub fn check_keys_in(app: &App, partition: &str, region: &str) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut check = |path: String, key: &KmsKeyArn| {
        let parts: Vec<&str> = key.as_str().splitn(6, ':').collect();
        let (key_partition, key_region) = (parts.get(1), parts.get(3));
        if key_partition != Some(&partition) || key_region != Some(&region) {
            out.push(Violation {
                path,
                value: key.to_string(),
                rule: format!(
                    "a KMS key must be in the app's partition and region ({partition}, {region}): \
                     AWS takes no key of another region"
                ),
            });
        }
    };
    for node in app.nodes() {
        let at = format!("{}[{}]", node.kind().info().path_word, node.display_name());
        match node {
            Node::Repository(r) => {
                if let Some(k) = &r.kms_key {
                    check(format!("{at}.kms_key"), k);
                }
            }
            Node::Bucket(b) => {
                if let Encryption::Kms(k) = &b.encryption {
                    check(format!("{at}.kms_key"), k);
                }
            }
            Node::Project(p) => {
                if let Some(k) = &p.encryption_key {
                    check(format!("{at}.encryption_key"), k);
                }
                if let Some(k) = &p.logs.kms_key {
                    check(format!("{at}.logs.kms_key"), k);
                }
            }
            Node::ImageRepository(r) => {
                if let ImageEncryption::Kms(k) = &r.encryption {
                    check(format!("{at}.kms_key"), k);
                }
            }
            _ => {}
        }
    }
    out
}

/// Whether a string in `v` ends with `suffix`.
fn mentions(v: &Value, suffix: &str) -> bool {
    match v {
        Value::String(s) => s.ends_with(suffix),
        Value::Array(a) => a.iter().any(|v| mentions(v, suffix)),
        Value::Object(m) => m.values().any(|v| mentions(v, suffix)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn partitions_follow_region_prefixes() {
        assert_eq!(partition_of("eu-west-1"), "aws");
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("us-iso-east-1"), "aws-iso");
        assert_eq!(partition_of("us-isob-east-1"), "aws-iso-b");
        assert_eq!(partition_of("us-east-1"), "aws");
    }

    fn resolved(policy_chars_wanted: usize) -> ResolvedApp {
        use super::super::resolve::ResolvedResource;
        use crate::provider::api::Resource;
        // {"Statement":[{"Sid":"xxx…"}]} is 26 characters around the Sid.
        let sid = "x".repeat(policy_chars_wanted - 26);
        let node = |id: &str, kind, name: &str, properties| ResolvedResource {
            resource: Resource {
                id: id.into(),
                kind,
                physical_name: name.into(),
                properties,
            },
            depends_on: Vec::new(),
            retain: false,
        };
        ResolvedApp {
            app: "shop".into(),
            resources: vec![
                node(
                    "BuildRole",
                    ResourceKind::Role,
                    "shop-build",
                    json!({"Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [{"Sid": sid}]}}]}),
                ),
                node(
                    "Build",
                    ResourceKind::Project,
                    "shop-build",
                    json!({"ServiceRole": "arn:aws:iam::123456789012:role/shop-build"}),
                ),
            ],
        }
    }

    #[test]
    fn a_role_over_the_limit_is_named_with_what_uses_it() {
        assert!(check_limits(&resolved(ROLE_POLICY_MAX)).is_empty());
        let over = check_limits(&resolved(ROLE_POLICY_MAX + 1));
        assert_eq!(over.len(), 1, "{over:?}");
        assert_eq!(over[0].path, "role[shop-build].Policies");
        assert_eq!(over[0].value, "10241 characters");
        assert!(
            over[0]
                .rule
                .contains("every resource project \"shop-build\" uses: split it"),
            "{}",
            over[0].rule
        );
    }

    #[test]
    fn white_space_does_not_count() {
        assert_eq!(policy_chars(&json!({"A": "b c"})), 10);
        assert_eq!(policy_chars(&json!([])), 2);
    }
}
