//! Validated names: one newtype per kind of AWS name, each carrying the rule AWS applies.

use std::fmt;
use std::str::FromStr;

/// A name that breaks its AWS rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {value:?} is invalid: {rule}")]
pub struct NameError {
    /// The kind of name, such as `repository name`.
    pub kind: &'static str,
    /// The rejected value.
    pub value: String,
    /// The rule it breaks, as AWS states it.
    pub rule: &'static str,
}

impl NameError {
    /// Which part of the rule the value breaks, when that can be told: the first character not
    /// allowed (a capital letter, an underscore, a space), the length, or how it starts or ends.
    ///
    /// ```
    /// use pipewright::model::BucketName;
    /// let e = BucketName::new("Ledger_Artifacts").unwrap_err();
    /// assert_eq!(e.breach().as_deref(), Some("capital letters are not allowed ('L' is character 1)"));
    /// ```
    #[must_use]
    pub fn breach(&self) -> Option<String> {
        breach(self.kind, &self.value)
    }
}

fn breach(kind: &str, v: &str) -> Option<String> {
    let alnum_and =
        |extra: &'static str| move |c: char| c.is_ascii_alphanumeric() || extra.contains(c);
    let lower_and = |extra: &'static str| {
        move |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(c)
    };
    let (min, max, allowed): (usize, usize, Box<dyn Fn(char) -> bool>) = match kind {
        "app name" => (1, 32, Box::new(lower_and("-"))),
        "repository name" => (1, 100, Box::new(alnum_and("._-"))),
        "bucket name" => (3, 63, Box::new(lower_and(".-"))),
        "image repository name" => (2, 256, Box::new(lower_and("._-/"))),
        "artifact domain name" => (2, 50, Box::new(lower_and("-"))),
        "artifact repository name" => (2, 100, Box::new(alnum_and("._-"))),
        "project name" => (2, 150, Box::new(alnum_and("-_"))),
        "application name" | "deployment group name" | "deployment config name" => {
            (1, 100, Box::new(alnum_and("+=,.@_-")))
        }
        "pipeline name" | "stage name" | "action name" => (1, 100, Box::new(alnum_and(".@_-"))),
        "artifact name" => (1, 100, Box::new(alnum_and("_-"))),
        "pipeline variable name" => (1, 128, Box::new(alnum_and("@_-"))),
        "action namespace" => (1, 100, Box::new(alnum_and("@_-"))),
        "environment variable name" => (1, 255, Box::new(alnum_and("_"))),
        _ => return None,
    };
    let n = v.chars().count();
    if n == 0 {
        return Some("it is empty".into());
    }
    if let Some((i, c)) = v.chars().enumerate().find(|(_, c)| !allowed(*c)) {
        let at = i + 1;
        return Some(match c {
            'A'..='Z' => format!("capital letters are not allowed ({c:?} is character {at})"),
            ' ' => format!("spaces are not allowed (character {at})"),
            _ => format!("{c:?} (character {at}) is not allowed"),
        });
    }
    if !(min..=max).contains(&n) {
        return Some(match n {
            1 => "it has 1 character".into(),
            _ => format!("it has {n} characters"),
        });
    }
    let first = v.chars().next().unwrap_or_default();
    let last = v.chars().last().unwrap_or_default();
    let reserved = [
        ("environment variable name", "CODEBUILD_"),
        ("deployment config name", "CodeDeployDefault."),
        ("bucket name", "xn--"),
        ("bucket name", "sthree-"),
    ];
    if let Some((_, p)) = reserved
        .iter()
        .find(|(k, p)| *k == kind && v.starts_with(p))
    {
        return Some(format!("it starts with '{p}'"));
    }
    Some(match kind {
        "app name" if !first.is_ascii_lowercase() => format!("it starts with {first:?}"),
        "environment variable name" if first.is_ascii_digit() => {
            format!("it starts with {first:?}")
        }
        "project name" if !first.is_ascii_alphanumeric() => format!("it starts with {first:?}"),
        "artifact domain name" if !first.is_ascii_lowercase() => {
            format!("it starts with {first:?}")
        }
        "artifact domain name" if last == '-' => format!("it ends with {last:?}"),
        "artifact repository name" if !first.is_ascii_alphanumeric() => {
            format!("it starts with {first:?}")
        }
        "bucket name" if !first.is_ascii_alphanumeric() => format!("it starts with {first:?}"),
        "bucket name" if !last.is_ascii_alphanumeric() => format!("it ends with {last:?}"),
        "bucket name" if v.contains("..") => "it holds '..'".into(),
        "bucket name" if looks_like_ip(v) => "it is shaped like an IP address".into(),
        "repository name" if v.ends_with(".git") => "it ends in '.git'".into(),
        "image repository name" => {
            "a '.', '_', '-' or '/' starts or ends it or a part, or two of them meet".into()
        }
        _ => return None,
    })
}

type Check = fn(&str) -> bool;

fn chars_in(s: &str, extra: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

/// Whether `s` has `min` to `max` characters. AWS states every name limit in (Unicode)
/// characters, not UTF-8 bytes; for the ASCII-only names the two agree, for tag keys and the
/// free-form part of ARNs they do not.
fn len_in(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.chars().count())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $ty:ident, $kind:literal, $rule:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $ty(String);

        impl $ty {
            /// The rule this name must satisfy, as AWS states it.
            pub const RULE: &'static str = $rule;

            /// Checks `value` against the rule.
            ///
            /// # Errors
            /// A [`NameError`] carrying the rule when `value` breaks it.
            pub fn new(value: impl Into<String>) -> Result<Self, NameError> {
                let value = value.into();
                let check: Check = $check;
                if check(&value) {
                    Ok(Self(value))
                } else {
                    Err(NameError { kind: $kind, value, rule: $rule })
                }
            }

            /// The name as a string slice.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $ty {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, NameError> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = NameError;
            fn try_from(s: String) -> Result<Self, NameError> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = NameError;
            fn try_from(s: &str) -> Result<Self, NameError> {
                Self::new(s)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(
    /// The name of an [`App`](super::App): the value of every resource's `pipewright:app` tag and
    /// the prefix of the names pipewright derives (roles, rules).
    AppName,
    "app name",
    "1 to 32 characters of a-z, 0-9 and '-', starting with a letter",
    |s| len_in(s, 1, 32)
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
);

name_type!(
    /// A CodeCommit repository name.
    RepositoryName,
    "repository name",
    "1 to 100 characters of A-Z, a-z, 0-9, '.', '_' and '-', not ending in '.git'",
    |s| len_in(s, 1, 100) && chars_in(s, "._-") && !s.ends_with(".git")
);

name_type!(
    /// An Amazon ECR repository name (ECR API Reference, `CreateRepository`: 2 to 256 characters
    /// matching `(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*`).
    ImageRepositoryName,
    "image repository name",
    "2 to 256 characters: lower-case words of a-z and 0-9 joined by single '.', '_' or '-', \
     in '/'-separated parts",
    |s| len_in(s, 2, 256) && s.split('/').all(ecr_part)
);

/// One `/`-separated part of an ECR repository name: `[a-z0-9]+(?:[._-][a-z0-9]+)*`.
fn ecr_part(part: &str) -> bool {
    part.split(['.', '_', '-']).all(|w| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

name_type!(
    /// An AWS CodeArtifact domain name (CodeArtifact API Reference, `CreateDomain`: 2 to 50
    /// characters matching `[a-z][a-z0-9\-]{0,48}[a-z0-9]`).
    ArtifactDomainName,
    "artifact domain name",
    "2 to 50 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-'",
    |s| len_in(s, 2, 50)
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
);

name_type!(
    /// An AWS CodeArtifact repository name (CodeArtifact API Reference, `CreateRepository`: 2 to
    /// 100 characters matching `[A-Za-z0-9][A-Za-z0-9._\-]{1,99}`).
    ArtifactRepositoryName,
    "artifact repository name",
    "2 to 100 characters of A-Z, a-z, 0-9, '.', '_' and '-', starting with a letter or digit",
    |s| len_in(s, 2, 100) && s.starts_with(|c: char| c.is_ascii_alphanumeric()) && chars_in(s, "._-")
);

name_type!(
    /// An S3 bucket name (general purpose bucket naming rules).
    BucketName,
    "bucket name",
    "3 to 63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit, \
     no '..', not an IP address, not starting with 'xn--' or 'sthree-', not ending with '-s3alias' or '--ol-s3'",
    |s| len_in(s, 3, 63)
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
        && !s.contains("..")
        && !looks_like_ip(s)
        && !s.starts_with("xn--")
        && !s.starts_with("sthree-")
        && !s.ends_with("-s3alias")
        && !s.ends_with("--ol-s3")
);

fn looks_like_ip(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()))
}

name_type!(
    /// A CodeBuild project name.
    ProjectName,
    "project name",
    "2 to 150 characters of A-Z, a-z, 0-9, '-' and '_', starting with a letter or digit",
    |s| len_in(s, 2, 150) && s.starts_with(|c: char| c.is_ascii_alphanumeric()) && chars_in(s, "-_")
);

name_type!(
    /// A CodeDeploy application name.
    ApplicationName,
    "application name",
    "1 to 100 characters of A-Z, a-z, 0-9 and '+=,.@_-'",
    |s| len_in(s, 1, 100) && chars_in(s, "+=,.@_-")
);

name_type!(
    /// A CodeDeploy deployment group name.
    DeploymentGroupName,
    "deployment group name",
    "1 to 100 characters of A-Z, a-z, 0-9 and '+=,.@_-'",
    |s| len_in(s, 1, 100) && chars_in(s, "+=,.@_-")
);

name_type!(
    /// The name of a custom CodeDeploy deployment configuration.
    DeploymentConfigName,
    "deployment config name",
    "1 to 100 characters of A-Z, a-z, 0-9 and '+=,.@_-', not starting with 'CodeDeployDefault.' (reserved by AWS)",
    |s| len_in(s, 1, 100) && chars_in(s, "+=,.@_-") && !s.starts_with("CodeDeployDefault.")
);

name_type!(
    /// A CodePipeline pipeline name.
    PipelineName,
    "pipeline name",
    "1 to 100 characters of A-Z, a-z, 0-9 and '.@_-'",
    |s| len_in(s, 1, 100) && chars_in(s, ".@_-")
);

name_type!(
    /// A pipeline stage name.
    StageName,
    "stage name",
    "1 to 100 characters of A-Z, a-z, 0-9 and '.@_-'",
    |s| len_in(s, 1, 100) && chars_in(s, ".@_-")
);

name_type!(
    /// A pipeline action name.
    ActionName,
    "action name",
    "1 to 100 characters of A-Z, a-z, 0-9 and '.@_-'",
    |s| len_in(s, 1, 100) && chars_in(s, ".@_-")
);

name_type!(
    /// A pipeline artifact name.
    ArtifactName,
    "artifact name",
    "1 to 100 characters of A-Z, a-z, 0-9, '_' and '-'",
    |s| len_in(s, 1, 100) && chars_in(s, "_-")
);

name_type!(
    /// A pipeline-level variable name (V2 pipelines).
    VariableName,
    "pipeline variable name",
    "1 to 128 characters of A-Z, a-z, 0-9, '@', '_' and '-'",
    |s| len_in(s, 1, 128) && chars_in(s, "@_-")
);

name_type!(
    /// The variable namespace of a pipeline action.
    Namespace,
    "action namespace",
    "1 to 100 characters of A-Z, a-z, 0-9, '@', '_' and '-'",
    |s| len_in(s, 1, 100) && chars_in(s, "@_-")
);

name_type!(
    /// The name of a CodeBuild environment variable.
    EnvVarName,
    "environment variable name",
    "1 to 255 characters of A-Z, a-z, 0-9 and '_', not starting with a digit or with 'CODEBUILD_' (reserved)",
    |s| len_in(s, 1, 255)
        && chars_in(s, "_")
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && !s.starts_with("CODEBUILD_")
);

name_type!(
    /// The ARN of an existing IAM role, given instead of a derived one.
    RoleArn,
    "role ARN",
    "an IAM role ARN, arn:<partition>:iam::<12-digit account>:role/<path and name>, at most 1024 characters",
    |s| len_in(s, 1, 1024) && is_role_arn(s)
);

fn is_role_arn(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("arn:aws") else {
        return false;
    };
    let Some((partition_suffix, rest)) = rest.split_once(":iam::") else {
        return false;
    };
    let partition_ok = partition_suffix.is_empty()
        || (partition_suffix.starts_with('-') && chars_in(&partition_suffix[1..], "-"));
    let Some((account, role)) = rest.split_once(":role/") else {
        return false;
    };
    partition_ok
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && !role.is_empty()
}

name_type!(
    /// The ARN of an SNS topic, used for approval notifications.
    TopicArn,
    "SNS topic ARN",
    "an SNS topic ARN, arn:<partition>:sns:<region>:<12-digit account>:<topic name>",
    |s| {
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        parts.len() == 6
            && parts[0] == "arn"
            && parts[1].starts_with("aws")
            && parts[2] == "sns"
            && !parts[3].is_empty()
            && parts[4].len() == 12
            && parts[4].chars().all(|c| c.is_ascii_digit())
            && len_in(parts[5], 1, 256)
            && chars_in(parts[5], "_-")
    }
);

name_type!(
    /// The ARN of a KMS key (or alias ARN) used for encryption.
    KmsKeyArn,
    "KMS key ARN",
    "a KMS key or alias ARN, arn:<partition>:kms:<region>:<12-digit account>:key/<id> or :alias/<name>",
    |s| {
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        parts.len() == 6
            && parts[0] == "arn"
            && parts[1].starts_with("aws")
            && parts[2] == "kms"
            && !parts[3].is_empty()
            && parts[4].len() == 12
            && parts[4].chars().all(|c| c.is_ascii_digit())
            && (parts[5].len() > 4 && (parts[5].starts_with("key/") || parts[5].starts_with("alias/")))
    }
);

name_type!(
    /// A tag key given by the user.
    TagKey,
    "tag key",
    "1 to 128 characters, not starting with 'aws:' or 'pipewright:' (reserved)",
    |s| len_in(s, 1, 128)
        && !s.to_ascii_lowercase().starts_with("aws:")
        && !s.starts_with("pipewright:")
);

/// The longest tag value AWS accepts, in Unicode characters.
pub const TAG_VALUE_MAX: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_name_rejects_git_suffix_with_rule() {
        let err = RepositoryName::new("shop.git").unwrap_err();
        assert_eq!(
            err.to_string(),
            "repository name \"shop.git\" is invalid: 1 to 100 characters of A-Z, a-z, 0-9, '.', '_' and '-', not ending in '.git'"
        );
        assert!(RepositoryName::new("shop-api").is_ok());
        assert!(RepositoryName::new("").is_err());
        assert!(RepositoryName::new("a".repeat(101)).is_err());
    }

    #[test]
    fn image_repository_name_rules() {
        for good in ["ab", "shop/web", "shop-api/web_v2.1", &"a".repeat(256)] {
            assert!(ImageRepositoryName::new(good).is_ok(), "{good} refused");
        }
        for bad in [
            "a",
            "Shop",
            "shop//web",
            "/shop",
            "shop/",
            "shop--web",
            "shop-",
            ".shop",
            "shop web",
            &"a".repeat(257),
        ] {
            assert!(ImageRepositoryName::new(bad).is_err(), "{bad} accepted");
        }
        let e = ImageRepositoryName::new("Shop").unwrap_err();
        assert_eq!(
            e.breach().as_deref(),
            Some("capital letters are not allowed ('S' is character 1)")
        );
    }

    #[test]
    fn artifact_domain_and_repository_name_rules() {
        for good in ["ab", "shop-packages", &format!("a{}", "0".repeat(49))] {
            assert!(ArtifactDomainName::new(good).is_ok(), "{good} refused");
        }
        for bad in ["a", "Shop", "1shop", "shop-", "shop_x", &"a".repeat(51)] {
            assert!(ArtifactDomainName::new(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(
            ArtifactDomainName::new("shop-")
                .unwrap_err()
                .breach()
                .as_deref(),
            Some("it ends with '-'")
        );
        for good in ["ab", "Shop.Libs_v2-x", &"a".repeat(100)] {
            assert!(ArtifactRepositoryName::new(good).is_ok(), "{good} refused");
        }
        for bad in [
            "a",
            ".libs",
            "-libs",
            "shop libs",
            "shop/libs",
            &"a".repeat(101),
        ] {
            assert!(ArtifactRepositoryName::new(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(
            ArtifactRepositoryName::new("_libs")
                .unwrap_err()
                .breach()
                .as_deref(),
            Some("it starts with '_'")
        );
    }

    #[test]
    fn bucket_name_rules() {
        assert!(BucketName::new("shop-artifacts-0001").is_ok());
        for bad in [
            "ab",
            "Shop",
            "-shop",
            "shop-",
            "a..b",
            "192.168.1.10",
            "xn--shop",
            "shop-s3alias",
            "shop--ol-s3",
            "sthree-shop",
        ] {
            assert!(BucketName::new(bad).is_err(), "{bad} accepted");
        }
        assert!(BucketName::new("a".repeat(64)).is_err());
    }

    #[test]
    fn project_name_rules() {
        assert!(ProjectName::new("shop-build").is_ok());
        assert!(ProjectName::new("a").is_err());
        assert!(ProjectName::new("_shop").is_err());
        assert!(ProjectName::new("shop.build").is_err());
    }

    #[test]
    fn codedeploy_names() {
        assert!(ApplicationName::new("shop+web=1,@x").is_ok());
        assert!(ApplicationName::new("shop web").is_err());
        assert!(DeploymentGroupName::new("").is_err());
        let err = DeploymentConfigName::new("CodeDeployDefault.Mine").unwrap_err();
        assert!(err.rule.contains("reserved"));
    }

    #[test]
    fn pipeline_level_names() {
        assert!(PipelineName::new("shop.v2@x_y-z").is_ok());
        assert!(StageName::new("Build stage").is_err());
        assert!(ActionName::new("a".repeat(100)).is_ok());
        assert!(ActionName::new("a".repeat(101)).is_err());
        assert!(ArtifactName::new("Built.zip").is_err());
        assert!(ArtifactName::new("Built_zip-1").is_ok());
        assert!(VariableName::new("a".repeat(128)).is_ok());
        assert!(VariableName::new("a.b").is_err());
        assert!(Namespace::new("Build@1").is_ok());
        assert!(Namespace::new("Build.1").is_err());
    }

    #[test]
    fn env_var_names() {
        assert!(EnvVarName::new("STAGE").is_ok());
        assert!(EnvVarName::new("CODEBUILD_X").is_err());
        assert!(EnvVarName::new("1X").is_err());
        assert!(EnvVarName::new("A-B").is_err());
    }

    #[test]
    fn arns() {
        assert!(RoleArn::new("arn:aws:iam::123456789012:role/ci/pipeline").is_ok());
        assert!(RoleArn::new("arn:aws-us-gov:iam::123456789012:role/x").is_ok());
        assert!(RoleArn::new("arn:aws:iam::12345:role/x").is_err());
        assert!(RoleArn::new("arn:aws:iam::123456789012:user/x").is_err());
        assert!(TopicArn::new("arn:aws:sns:eu-west-1:123456789012:approvals").is_ok());
        assert!(TopicArn::new("arn:aws:sqs:eu-west-1:123456789012:approvals").is_err());
        assert!(KmsKeyArn::new("arn:aws:kms:eu-west-1:123456789012:key/abcd").is_ok());
        assert!(KmsKeyArn::new("arn:aws:kms:eu-west-1:123456789012:abcd").is_err());
    }

    #[test]
    fn tag_keys_and_app_names() {
        assert!(TagKey::new("team").is_ok());
        assert!(TagKey::new("aws:x").is_err());
        assert!(TagKey::new("pipewright:id").is_err());
        assert!(AppName::new("shop").is_ok());
        assert!(AppName::new("Shop").is_err());
        assert!(AppName::new("1shop").is_err());
        assert!("shop-2".parse::<AppName>().is_ok());
    }

    /// Bug 4: tag keys were counted in bytes; AWS counts Unicode characters.
    #[test]
    fn bug4_tag_keys_count_characters() {
        assert!(TagKey::new("é".repeat(128)).is_ok());
        assert!(TagKey::new("é".repeat(129)).is_err());
    }
}
