//! Command-line interface. Every `serve` flag can also be set with a `NIMBUS_*` environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use nimbus_core::Credential;

#[derive(Parser)]
#[command(name = "nimbus", version, about = "A local AWS cloud in one binary: point the AWS CLI and SDKs at http://127.0.0.1:4566")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Start Nimbus: every service on one port, state kept in the data directory.
    ///
    /// Outbound https:// calls (SNS deliveries, OIDC providers' keys) trust the system's CA
    /// certificates; point SSL_CERT_FILE (or SSL_CERT_DIR) at a bundle to trust another CA.
    Serve(Box<ServeArgs>),
    /// List, per service, the operations Nimbus implements out of the AWS model's total.
    Services {
        /// Print JSON (the same document as GET /_nimbus/services).
        #[arg(long)]
        json: bool,
    },
    /// CloudWatch Logs from the terminal, against a running Nimbus.
    Logs {
        #[command(subcommand)]
        command: LogsCommand,
    },
}

#[derive(Subcommand)]
pub enum LogsCommand {
    /// Print a log group's events, and with --follow keep printing new ones (like `aws logs tail`).
    Tail(crate::logs_tail::TailArgs),
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "NIMBUS_BIND", default_value = "127.0.0.1:4566")]
    pub bind: SocketAddr,

    /// Where state is kept (SQLite metadata, blobs, the key that seals secret material).
    /// One Nimbus process at a time may use a data directory.
    #[arg(long, env = "NIMBUS_DATA_DIR", default_value = "./.nimbus")]
    pub data_dir: PathBuf,

    /// Keep state in a temporary directory that is removed on exit (ignores --data-dir).
    #[arg(long, env = "NIMBUS_EPHEMERAL")]
    pub ephemeral: bool,

    /// Region of requests whose signature names none.
    #[arg(long, env = "NIMBUS_REGION", default_value = nimbus_core::DEFAULT_REGION)]
    pub region: String,

    /// Account of requests whose access key is not a 12-digit account id and not a declared key
    /// (teams coming from moto use 123456789012).
    #[arg(long, env = "NIMBUS_ACCOUNT_ID", default_value = nimbus_core::DEFAULT_ACCOUNT_ID, value_parser = parse_account_id)]
    pub account_id: String,

    /// `default`: signatures of known keys (test/test, declared, STS- and IAM-issued) are verified and
    /// unknown keys are accepted unverified; IAM policies are stored, not enforced. `strict`: unknown
    /// keys and unsigned requests are refused (S3 keeps anonymous access that a bucket policy or ACL
    /// grants everyone, as on AWS) and every request is authorized against the caller's IAM policies,
    /// its session's and the resource's policy (role trust policies for AssumeRole and
    /// AssumeRoleWithWebIdentity, key policies for KMS); root credentials (test/test) may do
    /// everything. `--log nimbus::authz=info` explains each denial. `NIMBUS_ENFORCE_IAM=1` also
    /// selects strict.
    #[arg(long, env = "NIMBUS_AUTH", value_enum, default_value_t = AuthArg::Default)]
    pub auth: AuthArg,

    /// A further verified identity, ACCESS_KEY:SECRET[:ACCOUNT[:USER]] (repeatable; in the
    /// environment, comma-separated). `test:test` is always known.
    #[arg(long = "credential", env = "NIMBUS_CREDENTIALS", value_delimiter = ',')]
    pub credentials: Vec<String>,

    /// A file of identities, one ACCESS_KEY:SECRET[:ACCOUNT[:USER]] per line (`#` starts a comment).
    #[arg(long, env = "NIMBUS_CREDENTIALS_FILE")]
    pub credentials_file: Option<PathBuf>,

    /// Largest request body accepted, in MiB.
    #[arg(long, env = "NIMBUS_MAX_BODY_MIB", default_value_t = 256)]
    pub max_body_mib: usize,

    /// SES: keep new identities pending (as AWS does until DNS or the verification link proves
    /// them) until `POST /_nimbus/ses/verify?identity=...` verifies them; sends from unverified
    /// identities are refused with MessageRejected. By default identities are verified at once.
    #[arg(long, env = "NIMBUS_SES_REQUIRE_VERIFICATION", value_parser = clap::builder::BoolishValueParser::new())]
    pub ses_require_verification: bool,

    /// SES: also send every message SES stores to this SMTP server (`host:port`, plain SMTP;
    /// e.g. a local mail catcher), in the background. A relay failure is logged, never fails
    /// the send.
    #[arg(long, env = "NIMBUS_SES_SMTP_RELAY", value_name = "HOST:PORT")]
    pub ses_smtp_relay: Option<String>,

    /// Log filter (tracing syntax): `info`, `warn`, `nimbus::access=info,warn`, ...
    #[arg(long, env = "NIMBUS_LOG", default_value = "warn")]
    pub log: String,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum AuthArg {
    Default,
    Strict,
}

impl ServeArgs {
    /// `--auth`, with `NIMBUS_ENFORCE_IAM=1` (LocalStack's switch) meaning strict.
    pub fn auth_mode(&self) -> nimbus_server::AuthMode {
        let enforce = std::env::var("NIMBUS_ENFORCE_IAM").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
        if enforce { nimbus_server::AuthMode::Strict } else { self.auth.into() }
    }
}

impl ServeArgs {
    pub fn ses_options(&self) -> nimbus_svc_ses::SesOptions {
        nimbus_svc_ses::SesOptions {
            require_verification: self.ses_require_verification,
            smtp_relay: self.ses_smtp_relay.clone().filter(|r| !r.trim().is_empty()),
        }
    }
}

impl From<AuthArg> for nimbus_server::AuthMode {
    fn from(a: AuthArg) -> Self {
        match a {
            AuthArg::Default => nimbus_server::AuthMode::Default,
            AuthArg::Strict => nimbus_server::AuthMode::Strict,
        }
    }
}

fn parse_account_id(s: &str) -> Result<String, String> {
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err("an account id is 12 digits".into())
    }
}

impl ServeArgs {
    /// test/test plus every declared identity.
    pub fn declared_credentials(&self) -> anyhow::Result<Vec<Credential>> {
        let mut specs: Vec<String> = self.credentials.iter().filter(|s| !s.trim().is_empty()).cloned().collect();
        if let Some(file) = &self.credentials_file {
            let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
            specs.extend(
                text.lines().map(|l| l.split('#').next().unwrap_or("").trim().to_owned()).filter(|l| !l.is_empty()),
            );
        }
        let mut out = vec![nimbus_server::Credentials::root("test", "test", &self.account_id)];
        for spec in specs {
            out.push(nimbus_server::credentials::parse_declared(&spec, &self.account_id).map_err(anyhow::Error::msg)?);
        }
        Ok(out)
    }
}
