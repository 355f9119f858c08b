//! `policy [--account ID]`: the least-privilege IAM policy of whoever runs this app's commands.

use std::io::Write;

use crate::cli::connect::{Target, connect, offline_region};
use crate::cli::error::{CliError, Exit};
use crate::model::App;

/// Example: `policy --region eu-west-1 --account 123456789012 > deployer.json` writes the policy
/// without any AWS call; `aws iam put-role-policy --policy-document file://deployer.json ...`
/// attaches it.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Prints the IAM policy document (JSON) that the principal running plan, apply, destroy, drift, push, run, watch, approve, logs, executions, stop and retry needs for this app in one account and region, scoped to the app's resources and to the roles under /pipewright/<app>/<region>/. Without --account, the account is the caller's (sts:GetCallerIdentity); with it, nothing is sent to AWS.\n\nExample: policy --region eu-west-1 --account 123456789012 > deployer.json"
)]
pub(crate) struct Args {
    /// The twelve-digit account id the policy is for (default: the caller's, from STS).
    #[arg(long, value_parser = account_id)]
    account: Option<String>,
}

fn account_id(raw: &str) -> Result<String, String> {
    if raw.len() == 12 && raw.bytes().all(|b| b.is_ascii_digit()) {
        Ok(raw.to_owned())
    } else {
        Err(format!("account id \"{raw}\" must be twelve digits"))
    }
}

impl Args {
    /// Prints `app`'s deployer policy for `target`'s region (and account) on `out`.
    pub(crate) async fn run(self, app: &App, target: &Target, out: &mut dyn Write) -> Exit {
        let (region, account) = match self.account {
            Some(account) => (offline_region(app, target).await?, account),
            None => {
                let session = connect(app, target).await?;
                (session.region, session.account)
            }
        };
        let partition = crate::engine::partition_of(&region);
        let policy = crate::synth::deployer_policy(&app.desired(), partition, &region, &account);
        writeln!(out, "{}", policy.to_json())
            .map_err(|e| CliError::new("could not write the policy", e))?;
        Ok(0)
    }
}
